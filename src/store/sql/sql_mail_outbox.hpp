#pragma once

#include <optional>
#include <string_view>

#include "core/call_notification.hpp"
#include "core/call_record.hpp"
#include "store/sql/sql_database.hpp"

namespace callsight {

// The notification context of a call as stored now: its source's name and effective
// settings (the source's own, else those of the campaign the call was routed under) and its
// partner's time zone. nullopt when the call has no source (any more).
std::optional<NotificationContext> read_notification_context(SqlDatabase& db,
                                                             const CallRecord& record);

// Inside the caller's transaction: writes the mail outbox row of `mail` for the call, due
// at once, unless the call has a mail of that kind already. True when it wrote one.
bool write_outbox_mail(SqlDatabase& db, const CallRecord& record, const Notification& mail,
                       TimePoint now);

// Inside the transaction that changed a call from `before` to `after` (an event, the sweep,
// the record itself): queues the missed-call mail when this change made the call a missed
// one and its settings ask for one. Holds the call's row lock or has just inserted it.
void queue_call_notifications(SqlDatabase& db, const CallRecord& before, const CallRecord& after,
                              TimePoint now);

// Inside the caller's transaction: the mails of the call lose their bodies and pending ones
// are dead, for a caller erased from the call.
void erase_call_mails(SqlDatabase& db, Id cdr_id);

}  // namespace callsight
