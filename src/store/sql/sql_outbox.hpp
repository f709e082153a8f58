#pragma once

#include <vector>

#include "core/call_record.hpp"
#include "core/webhook.hpp"
#include "store/sql/sql_database.hpp"

namespace callsight {

// Writes `event` to the outbox inside the caller's transaction, so it commits or rolls back
// with the change that caused it: assigns the per-call sequence (the call's last + 1; 0
// without a cdr_id; kept as given when the caller knows it, e.g. 1 for the first event of a
// call whose row it has just inserted, which saves reading the call's last) and one pending
// delivery, due at once, for every subscription of the
// partner that covers the event's customer and type. Returns the event with id and sequence.
//
// Sequences of one call must not be computed side by side: callers hold the CDR's row lock
// (apply_event) or have just inserted the row (record_call), and UNIQUE (cdr_id, sequence)
// refuses what slips through.
OutboxEvent write_outbox_event(SqlDatabase& db, OutboxEvent event);

// The partner's subscriptions that want the event, key-share locked on PostgreSQL: a
// subscription deleted meanwhile waits for this transaction instead of failing its
// deliveries' foreign key (and with it the call record that caused the event).
std::vector<Id> subscribed_webhook_ids(SqlDatabase& db, const OutboxEvent& event);

// A call's event (call.started, call.completed, ...) with the call's payload, through
// write_outbox_event in the caller's transaction. `sequence` 0: the call's last + 1.
void write_call_event(SqlDatabase& db, std::string_view type, const CallRecord& record,
                      TimePoint now, int sequence = 0);

// The event alone, without deliveries (test events name their one subscription).
OutboxEvent insert_outbox_event(SqlDatabase& db, OutboxEvent event);

// A pending delivery of the event to the subscription, due when the event was made.
void add_pending_delivery(SqlDatabase& db, const OutboxEvent& event, Id webhook_id);

}  // namespace callsight
