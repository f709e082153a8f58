#include "store/sql/sql_outbox.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/utf8.hpp"
#include "core/webhook_payload.hpp"

namespace callsight {
namespace {

bool subscribes_to(const std::string& event_types_json, const std::string& type) {
  // Read like the subscription itself (sql_webhook_store), so bad stored bytes never make a
  // subscription that GET /webhooks shows silently miss its events.
  const auto types = nlohmann::json::parse(utf8::sanitize(event_types_json), nullptr, false);
  return types.is_array() && std::find(types.begin(), types.end(), type) != types.end();
}

}  // namespace

OutboxEvent insert_outbox_event(SqlDatabase& db, OutboxEvent event) {
  if (!event.cdr_id) event.sequence = 0;
  if (event.cdr_id && event.sequence <= 0) {
    auto last =
        db.prepare("SELECT COALESCE(MAX(sequence), 0) FROM webhook_events WHERE cdr_id = :cdr_id");
    last.bind(":cdr_id", *event.cdr_id);
    last.step();
    event.sequence = last.integer(0) + 1;
    last.run();
  }
  event.id = db.prepare(
                   "INSERT INTO webhook_events (partner_id, customer_id, type, cdr_id, source_id,"
                   " sequence, payload, created) VALUES (:partner_id, :customer_id, :type, :cdr_id,"
                   " :source_id, :sequence, :payload, :created) RETURNING id")
                 .bind(":partner_id", event.partner_id)
                 .bind(":customer_id", event.customer_id)
                 .bind(":type", event.type)
                 .bind(":cdr_id", event.cdr_id)
                 .bind(":source_id", event.source_id)
                 .bind(":sequence", event.sequence)
                 .bind(":payload", event.payload)
                 .bind(":created", event.created)
                 .returning_id();
  return event;
}

std::vector<Id> subscribed_webhook_ids(SqlDatabase& db, const OutboxEvent& event) {
  std::vector<Id> webhook_ids;
  auto rows = db.prepare(
      "SELECT w.id, w.event_types FROM webhooks w WHERE w.partner_id = :partner_id"
      " AND (w.customer_id IS NULL OR w.customer_id = :customer_id) ORDER BY w.id" +
      db.dialect().key_share_clause("w"));
  rows.bind(":partner_id", event.partner_id).bind(":customer_id", event.customer_id);
  while (rows.step()) {
    if (subscribes_to(rows.text(1), event.type)) webhook_ids.push_back(rows.int64(0));
  }
  return webhook_ids;
}

OutboxEvent write_outbox_event(SqlDatabase& db, OutboxEvent event) {
  event = insert_outbox_event(db, std::move(event));
  for (const Id webhook_id : subscribed_webhook_ids(db, event)) {
    add_pending_delivery(db, event, webhook_id);
  }
  return event;
}

void write_call_event(SqlDatabase& db, std::string_view type, const CallRecord& record,
                      TimePoint now, int sequence) {
  OutboxEvent event;
  event.sequence = sequence;
  event.partner_id = record.partner_id;
  event.customer_id = record.customer_id;
  event.type = type;
  event.cdr_id = record.id;
  event.source_id = record.source_id;
  event.payload = call_event_payload(record);
  event.created = now;
  write_outbox_event(db, std::move(event));
}

void add_pending_delivery(SqlDatabase& db, const OutboxEvent& event, Id webhook_id) {
  db.prepare(
        "INSERT INTO webhook_deliveries (event_id, webhook_id, state, attempts, next_attempt,"
        " last_error, created) VALUES (:event_id, :webhook_id, 'pending', 0, :created, '',"
        " :created)")
      .bind(":event_id", event.id)
      .bind(":webhook_id", webhook_id)
      .bind(":created", event.created)
      .run();
}

}  // namespace callsight
