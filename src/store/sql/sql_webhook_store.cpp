#include "store/sql/sql_webhook_store.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"
#include "core/time_format.hpp"
#include "store/sql/sql_change.hpp"
#include "store/sql/sql_fragments.hpp"
#include "store/sql/sql_outbox.hpp"
#include "store/sql/sql_purge.hpp"

namespace callsight {

namespace {

constexpr int kFailingAfter = 5;  // consecutive failed attempts that flag a subscription
constexpr std::int64_t kSequenceBatch = 10000;  // ids per replay-order transaction
constexpr int kSequenceRounds = 100;

const std::string kWebhookColumns =
    "w.id, w.partner_id, w.customer_id, w.url, w.event_types, w.format, w.template_text,"
    " w.secret, w.failing, w.created, w.modified";
constexpr int kWebhookColumnCount = 11;

const std::string kEventColumns =
    "e.id, e.partner_id, e.customer_id, e.type, e.cdr_id, e.source_id, e.sequence, e.payload,"
    " e.created";

const std::string kDeliveryColumns =
    "d.id, d.event_id, d.webhook_id, w.partner_id, d.state, d.attempts, d.next_attempt,"
    " d.last_status, d.last_latency_ms, d.last_error, d.delivered_at, d.created";
constexpr int kDeliveryColumnCount = 12;

std::optional<int> optional_int(const SqlStatement& row, int column) {
  const auto value = row.optional_int64(column);
  return value ? std::optional<int>(static_cast<int>(*value)) : std::nullopt;
}

Webhook read_webhook(const SqlStatement& row, int first = 0) {
  Webhook w;
  w.id = row.int64(first);
  w.partner_id = row.int64(first + 1);
  w.customer_id = row.optional_int64(first + 2);
  w.url = row.text(first + 3);
  // Bad bytes from an import or a direct edit read as U+FFFD; a column that is no JSON list
  // at all fails the row, which the jobs skip and count (app/job_rows).
  w.event_types = parse_stored_json(row.text(first + 4)).get<std::vector<std::string>>();
  w.format = parse_webhook_format(row.text(first + 5)).value_or(WebhookFormat::json);
  w.template_text = row.optional_text(first + 6);
  w.secret = row.text(first + 7);
  w.failing = row.integer(first + 8) != 0;
  w.created = row.text(first + 9);
  w.modified = row.text(first + 10);
  return w;
}

OutboxEvent read_event(const SqlStatement& row, int first = 0) {
  OutboxEvent e;
  e.id = row.int64(first);
  e.partner_id = row.int64(first + 1);
  e.customer_id = row.optional_int64(first + 2);
  e.type = row.text(first + 3);
  e.cdr_id = row.optional_int64(first + 4);
  e.source_id = row.optional_int64(first + 5);
  e.sequence = row.integer(first + 6);
  e.payload = row.text(first + 7);
  e.created = row.time(first + 8);
  return e;
}

DeliveryState parse_delivery_state(const std::string& text) {
  if (text == "delivered") return DeliveryState::delivered;
  if (text == "dead") return DeliveryState::dead;
  return DeliveryState::pending;
}

Delivery read_delivery(const SqlStatement& row, int first = 0) {
  Delivery d;
  d.id = row.int64(first);
  d.event_id = row.int64(first + 1);
  d.webhook_id = row.int64(first + 2);
  d.partner_id = row.int64(first + 3);
  d.state = parse_delivery_state(row.text(first + 4));
  d.attempts = row.integer(first + 5);
  d.next_attempt = row.time(first + 6);
  d.last_status = optional_int(row, first + 7);
  d.last_latency_ms = optional_int(row, first + 8);
  d.last_error = row.text(first + 9);
  d.delivered_at = row.optional_time(first + 10);
  d.created = row.time(first + 11);
  return d;
}

void bind_webhook_fields(SqlStatement& stmt, const Webhook& w) {
  stmt.bind(":customer_id", w.customer_id)
      .bind(":url", w.url)
      .bind(":event_types", nlohmann::json(w.event_types).dump())
      .bind(":format", to_string(w.format))
      .bind(":template_text", w.template_text)
      .bind(":secret", w.secret);
}

}  // namespace

void SqlWebhookStore::check_customer(Id partner_id, const std::optional<Id>& customer_id) {
  if (customer_id) require_partners_customer(db_, partner_id, *customer_id);
}

std::optional<Webhook> SqlWebhookStore::find_webhook_locked(Id partner_id, Id webhook_id) {
  auto row = db_.prepare("SELECT " + kWebhookColumns +
                         " FROM webhooks w WHERE w.id = :id AND w.partner_id = :partner_id");
  row.bind(":id", webhook_id).bind(":partner_id", partner_id);
  if (!row.step()) return std::nullopt;
  auto webhook = read_webhook(row);
  row.run();
  return webhook;
}

Webhook SqlWebhookStore::create_webhook(const Webhook& webhook) {
  SqlTransaction tx(db_, Mode::write);
  check_customer(webhook.partner_id, webhook.customer_id);
  Webhook stored = webhook;
  stored.failing = false;
  stored.created = stored.modified = format_utc(clock_.now());
  auto stmt = db_.prepare(
      "INSERT INTO webhooks (partner_id, customer_id, url, event_types, format, template_text,"
      " secret, failing, consecutive_failures, created, modified) VALUES (:partner_id,"
      " :customer_id, :url, :event_types, :format, :template_text, :secret, 0, 0, :created,"
      " :created) RETURNING id");
  bind_webhook_fields(stmt, stored);
  stored.id =
      stmt.bind(":partner_id", stored.partner_id).bind(":created", stored.created).returning_id();
  tx.commit();
  return stored;
}

std::optional<Webhook> SqlWebhookStore::find_webhook(Id partner_id, Id webhook_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_webhook_locked(partner_id, webhook_id);
}

Page<Webhook> SqlWebhookStore::list_webhooks(Id partner_id, PageRequest page) {
  static const std::string where = " FROM webhooks w WHERE w.partner_id = :partner_id";
  SqlTransaction tx(db_, Mode::read);
  return read_page(
      db_, kWebhookColumns, where, "w.id", page,
      [&](SqlStatement& stmt) { stmt.bind(":partner_id", partner_id); },
      [](const SqlStatement& row) { return read_webhook(row); });
}

Webhook SqlWebhookStore::update_webhook(const Webhook& webhook) {
  auto stored = change_webhook(webhook.partner_id, webhook.id, [&](Webhook& w, auto&) {
    const auto secret = w.secret;
    w = webhook;
    // The secret is write-only on the wire: an update that does not set one keeps it.
    if (w.secret.empty()) w.secret = secret;
    return true;
  });
  if (!stored) throw NotFoundError("webhook not found");
  return *stored;
}

std::optional<Webhook> SqlWebhookStore::change_webhook(Id partner_id, Id webhook_id,
                                                       const Change<Webhook>& change) {
  return apply_change(
      db_, change, [&] { return find_webhook_locked(partner_id, webhook_id); },
      [&](const Webhook& before, Webhook& after) {
        check_customer(partner_id, after.customer_id);
        ChangedColumns(db_, "webhooks", webhook_id)
            .write("customer_id", before.customer_id, after.customer_id)
            .write("url", before.url, after.url)
            .write("event_types", nlohmann::json(before.event_types).dump(),
                   nlohmann::json(after.event_types).dump())
            .write("format", to_string(before.format), to_string(after.format))
            .write("template_text", before.template_text, after.template_text)
            .write("secret", before.secret, after.secret)
            .write("modified", before.modified, format_utc(clock_.now()));
      });
}

Webhook SqlWebhookStore::delete_webhook(Id partner_id, Id webhook_id) {
  SqlTransaction tx(db_, Mode::write);
  auto existing = find_webhook_locked(partner_id, webhook_id);
  if (!existing) throw NotFoundError("webhook not found");
  db_.prepare("DELETE FROM webhooks WHERE id = :id").bind(":id", webhook_id).run();
  tx.commit();
  return *existing;
}

std::optional<std::vector<OutboxEvent>> SqlWebhookStore::events_after(Id partner_id, Id after,
                                                                      int limit) {
  sequence_events();
  SqlTransaction tx(db_, Mode::read);
  std::int64_t after_position = 0;
  if (after != 0) {
    auto cursor = db_.prepare(
        "SELECT stream_position FROM webhook_events WHERE id = :id AND partner_id = :partner_id"
        " AND stream_position IS NOT NULL");
    cursor.bind(":id", after).bind(":partner_id", partner_id);
    if (cursor.step()) {
      after_position = cursor.int64(0);
    } else if (!purged_through(partner_id, after)) {
      return std::nullopt;
    }
  }
  std::vector<OutboxEvent> events;
  auto rows = db_.prepare("SELECT " + kEventColumns +
                          " FROM webhook_events e WHERE e.partner_id = :partner_id"
                          " AND e.stream_position > :after_position"
                          " ORDER BY e.stream_position LIMIT :limit");
  rows.bind(":partner_id", partner_id)
      .bind(":after_position", after_position)
      .bind(":limit", std::max(limit, 0));
  while (rows.step()) events.push_back(read_event(rows));
  return events;
}

bool SqlWebhookStore::purged_through(Id partner_id, Id event_id) {
  auto purged = db_.prepare(
      "SELECT 1 FROM webhook_event_purges WHERE partner_id = :partner_id"
      " AND through_id >= :event_id");
  purged.bind(":partner_id", partner_id).bind(":event_id", event_id);
  return purged.step();
}

// An event whose stream position is not given yet is kept: it has not been replayable.
PurgeProgress SqlWebhookStore::purge_settled_events(TimePoint cutoff,
                                                    const RowFailureHandler& on_failure,
                                                    int max_batches) {
  const PurgeRows events{
      .table = "webhook_events",
      .settled =
          "webhook_events.stream_position IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
          " webhook_deliveries d WHERE d.event_id = webhook_events.id"
          " AND d.state = 'pending')"};
  // The deliveries go with their events (ON DELETE CASCADE).
  const auto note_deleted = [this](const DeletedRows& deleted) {
    std::map<Id, Id> through;  // partner, largest deleted event id
    for (const auto& [event_id, partner_id] : deleted) {
      auto& largest = through[partner_id];
      largest = std::max(largest, event_id);
    }
    for (const auto& [partner_id, event_id] : through) {
      db_.prepare(
             "INSERT INTO webhook_event_purges (partner_id, through_id)"
             " VALUES (:partner_id, :through_id) ON CONFLICT (partner_id) DO UPDATE SET"
             " through_id = CASE WHEN excluded.through_id > webhook_event_purges.through_id"
             " THEN excluded.through_id ELSE webhook_event_purges.through_id END")
          .bind(":partner_id", partner_id)
          .bind(":through_id", event_id)
          .run();
    }
  };
  return purge_settled_rows(db_, events, cutoff, note_deleted, on_failure, max_batches);
}

// Bounded, so writers committing without pause cannot keep a reader here; what is left
// gets its place on the next call.
int SqlWebhookStore::sequence_events() {
  int placed = 0;
  for (int round = 0; round < kSequenceRounds; ++round) {
    const int batch = sequence_event_batch();
    if (batch == 0) break;
    placed += batch;
  }
  return placed;
}

// Serialised with every other writer, so each batch's positions come after every position
// handed out before, and a reader that saw a position also sees all smaller ones. Positions
// follow ids within a batch (ids from first_id up, so an event with a smaller id that commits
// meanwhile waits for the next batch); the gaps ids leave are harmless.
int SqlWebhookStore::sequence_event_batch() {
  {
    SqlTransaction peek(db_, Mode::read);
    auto unplaced =
        db_.prepare("SELECT 1 FROM webhook_events WHERE stream_position IS NULL LIMIT 1");
    if (!unplaced.step()) return 0;
  }
  SqlTransaction tx(db_, Mode::write);
  auto first = db_.prepare("SELECT MIN(id) FROM webhook_events WHERE stream_position IS NULL");
  first.step();
  if (first.is_null(0)) return 0;
  const std::int64_t first_id = first.int64(0);
  first.run();
  auto last = db_.prepare("SELECT COALESCE(MAX(stream_position), 0) FROM webhook_events");
  last.step();
  const std::int64_t last_position = last.int64(0);
  last.run();
  db_.prepare(
         "UPDATE webhook_events SET stream_position = :base + id WHERE stream_position IS NULL"
         " AND id >= :first_id AND id < :end_id")
      .bind(":base", last_position + 1 - first_id)
      .bind(":first_id", first_id)
      .bind(":end_id", first_id + kSequenceBatch)
      .run();
  const auto placed = static_cast<int>(db_.changes());
  tx.commit();
  return placed;
}

Page<Delivery> SqlWebhookStore::list_deliveries(Id partner_id, const DeliveryFilter& filter,
                                                PageRequest page) {
  static const std::string where =
      " FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
      " WHERE w.partner_id = :partner_id"
      " AND (CAST(:webhook_id AS BIGINT) IS NULL OR d.webhook_id = :webhook_id)"
      " AND (CAST(:event_id AS BIGINT) IS NULL OR d.event_id = :event_id)"
      " AND (CAST(:state AS TEXT) IS NULL OR d.state = :state)";
  const auto bind_filter = [&](SqlStatement& stmt) {
    stmt.bind(":partner_id", partner_id)
        .bind(":webhook_id", filter.webhook_id)
        .bind(":event_id", filter.event_id);
    if (filter.state) {
      stmt.bind(":state", to_string(*filter.state));
    } else {
      stmt.bind(":state", std::nullopt);
    }
  };
  SqlTransaction tx(db_, Mode::read);
  return read_page(db_, kDeliveryColumns, where, "d.id", page, bind_filter,
                   [](const SqlStatement& row) { return read_delivery(row); });
}

OutboxEvent SqlWebhookStore::add_test_event(Id partner_id, Id webhook_id) {
  SqlTransaction tx(db_, Mode::write);
  const auto webhook = find_webhook_locked(partner_id, webhook_id);
  if (!webhook) throw NotFoundError("webhook not found");
  OutboxEvent event;
  event.partner_id = partner_id;
  event.customer_id = webhook->customer_id;
  event.type = "webhook.test";
  event.payload = nlohmann::json{{"webhook_id", std::to_string(webhook_id)}}.dump();
  event.created = clock_.now();
  event = insert_outbox_event(db_, std::move(event));
  add_pending_delivery(db_, event, webhook_id);
  tx.commit();
  return event;
}

std::vector<DeliveryJob> SqlWebhookStore::claim_deliveries(TimePoint now,
                                                           std::chrono::seconds lease, int limit,
                                                           const RowFailureHandler& on_failure) {
  // Nodes and threads claim side by side: each locks the rows it claims and passes over
  // rows another is claiming; the moved next_attempt keeps them from claiming a row again
  // until the lease ends.
  SqlTransaction tx(db_, Mode::concurrent_write);
  std::vector<DeliveryJob> jobs;
  std::vector<Id> claimed;
  {
    auto rows =
        db_.prepare("SELECT " + kDeliveryColumns + ", " + kWebhookColumns + ", " + kEventColumns +
                    " FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
                    " JOIN webhook_events e ON e.id = d.event_id"
                    " WHERE d.state = 'pending' AND d.next_attempt <= :now"
                    " ORDER BY d.next_attempt, d.id LIMIT :limit" +
                    db_.dialect().lock_clause("d", /*skip_locked=*/true));
    rows.bind(":now", now).bind(":limit", std::max(limit, 0));
    while (rows.step()) {
      const Id delivery_id = rows.int64(0);
      claimed.push_back(delivery_id);
      try {
        jobs.push_back({read_delivery(rows), read_webhook(rows, kDeliveryColumnCount),
                        read_event(rows, kDeliveryColumnCount + kWebhookColumnCount)});
      } catch (const std::exception& e) {
        if (!on_failure) throw;
        on_failure(delivery_id, e);
      }
    }
  }
  for (const Id delivery_id : claimed) {
    db_.prepare("UPDATE webhook_deliveries SET next_attempt = :next WHERE id = :id")
        .bind(":next", now + lease)
        .bind(":id", delivery_id)
        .run();
  }
  for (auto& job : jobs) job.delivery.next_attempt = now + lease;
  tx.commit();
  return jobs;
}

void SqlWebhookStore::record_attempts(std::span<const AttemptOutcome> outcomes, TimePoint now) {
  if (outcomes.empty()) return;
  std::vector<const AttemptOutcome*> ordered;
  ordered.reserve(outcomes.size());
  for (const auto& outcome : outcomes) ordered.push_back(&outcome);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto* a, const auto* b) { return a->webhook_id < b->webhook_id; });
  SqlTransaction tx(db_, Mode::concurrent_write);
  for (const auto* outcome : ordered) record_attempt_locked(*outcome, now);
  tx.commit();
}

void SqlWebhookStore::record_attempt_locked(const AttemptOutcome& outcome, TimePoint now) {
  // Single conditional statements: safe beside other nodes recording other deliveries of
  // the same subscription. A delivery deleted meanwhile (its subscription went) is ignored.
  const char* state = outcome.delivered ? "delivered" : outcome.next_attempt ? "pending" : "dead";
  db_.prepare(
         "UPDATE webhook_deliveries SET state = :state, attempts = attempts + 1,"
         " next_attempt = COALESCE(CAST(:next AS BIGINT), next_attempt), last_status = :status,"
         " last_latency_ms = :latency, last_error = :error, delivered_at = :delivered_at"
         " WHERE id = :id")
      .bind(":state", state)
      .bind(":next", outcome.next_attempt)
      .bind(":status", outcome.status)
      .bind(":latency", outcome.latency_ms)
      .bind(":error", outcome.error)
      .bind(":delivered_at", outcome.delivered ? std::optional<TimePoint>(now) : std::nullopt)
      .bind(":id", outcome.delivery_id)
      .run();
  if (outcome.delivered) {
    // Most deliveries go to a subscription that is not failing: its row is left alone then,
    // instead of rewritten with the same values once per delivery.
    db_.prepare(
           "UPDATE webhooks SET consecutive_failures = 0, failing = 0"
           " WHERE id = (SELECT webhook_id FROM webhook_deliveries WHERE id = :id)"
           " AND (consecutive_failures <> 0 OR failing <> 0)")
        .bind(":id", outcome.delivery_id)
        .run();
  } else {
    db_.prepare(
           "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,"
           " failing = CASE WHEN consecutive_failures + 1 >= :threshold THEN 1 ELSE failing END"
           " WHERE id = (SELECT webhook_id FROM webhook_deliveries WHERE id = :id)")
        .bind(":threshold", kFailingAfter)
        .bind(":id", outcome.delivery_id)
        .run();
  }
}

// Counted through the (state, next_attempt, id) index; delivered rows are never read.
OutboxDepth SqlWebhookStore::outbox_depth() {
  SqlTransaction tx(db_, Mode::read);
  OutboxDepth depth;
  auto stmt = db_.prepare(
      "SELECT state, COUNT(*) FROM webhook_deliveries WHERE state IN ('pending', 'dead')"
      " GROUP BY state");
  while (stmt.step()) {
    (stmt.text(0) == "dead" ? depth.dead : depth.pending) = stmt.int64(1);
  }
  return depth;
}

}  // namespace callsight
