#include "store/sql/sql_callback_store.hpp"

#include "core/time_format.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {

namespace {

const std::string kColumns =
    "b.id, b.customer_id, b.agent_number, b.requester_number, b.caller_id, b.scheduled, "
    "b.retries, b.retry_interval, b.attempts, b.completed, b.cdr_id, b.custom_dynamic, "
    "b.call_recording, b.created, c.partner_id";

// Every read joins the owner, so a callback carries its partner.
const std::string kFromCallbacks = " FROM callbacks b JOIN customers c ON c.id = b.customer_id";

Callback read_callback(const SqlStatement& row) {
  Callback c;
  c.id = row.int64(0);
  c.customer_id = row.int64(1);
  c.agent_number = row.text(2);
  c.requester_number = row.text(3);
  c.caller_id = row.text(4);
  c.scheduled = row.time(5);
  c.retries = row.integer(6);
  c.retry_interval = row.integer(7);
  c.attempts = row.integer(8);
  c.completed = row.integer(9) != 0;
  c.cdr_id = row.optional_int64(10);
  c.custom_dynamic = row.optional_text(11);
  c.call_recording = row.integer(12);
  c.created = row.text(13);
  c.partner_id = row.int64(14);
  return c;
}

}  // namespace

Callback SqlCallbackStore::create_callback(Id partner_id, const Callback& callback) {
  SqlTransaction tx(db_, Mode::write);
  require_partners_customer(db_, partner_id, callback.customer_id);
  Callback stored = callback;
  stored.attempts = 0;
  stored.completed = false;
  stored.cdr_id.reset();
  stored.partner_id = partner_id;
  stored.created = format_utc(clock_.now());
  stored.id =
      db_.prepare(
             "INSERT INTO callbacks (customer_id, agent_number, requester_number, caller_id, "
             "scheduled, retries, retry_interval, attempts, next_attempt, completed, cdr_id, "
             "custom_dynamic, call_recording, created) VALUES (:customer_id, :agent, :requester, "
             ":caller_id, :scheduled, :retries, :retry_interval, 0, :scheduled, 0, NULL, "
             ":custom_dynamic, :call_recording, :created) RETURNING id")
          .bind(":customer_id", stored.customer_id)
          .bind(":agent", stored.agent_number)
          .bind(":requester", stored.requester_number)
          .bind(":caller_id", stored.caller_id)
          .bind(":scheduled", stored.scheduled)
          .bind(":retries", stored.retries)
          .bind(":retry_interval", stored.retry_interval)
          .bind(":custom_dynamic", stored.custom_dynamic)
          .bind(":call_recording", stored.call_recording)
          .bind(":created", stored.created)
          .returning_id();
  tx.commit();
  return stored;
}

Page<Callback> SqlCallbackStore::list_callbacks(Id partner_id, const CallbackFilter& filter,
                                                PageRequest page) {
  static const std::string where =
      kFromCallbacks +
      " WHERE c.partner_id = :partner_id AND b.customer_id = :customer_id"
      " AND b.scheduled BETWEEN :from AND :to";
  const auto bind_filter = [&](SqlStatement& stmt) {
    stmt.bind(":partner_id", partner_id)
        .bind(":customer_id", filter.customer_id)
        .bind(":from", filter.from)
        .bind(":to", filter.to);
  };
  SqlTransaction tx(db_, Mode::read);
  return read_page(db_, kColumns, where, "b.scheduled, b.id", page, bind_filter, read_callback);
}

std::vector<Callback> SqlCallbackStore::due_callbacks(TimePoint now, int limit) {
  // Nodes claim side by side: each locks the rows it claims and passes over rows another
  // node is claiming, so every attempt is dialled once.
  SqlTransaction tx(db_, Mode::concurrent_write);
  std::vector<Callback> due;
  {
    auto rows =
        db_.prepare("SELECT " + kColumns + kFromCallbacks +
                    " WHERE b.completed = 0 AND b.next_attempt <= :now"
                    " AND b.attempts <= b.retries ORDER BY b.next_attempt, b.id LIMIT :limit" +
                    db_.dialect().lock_clause("b", /*skip_locked=*/true));
    rows.bind(":now", now).bind(":limit", limit);
    while (rows.step()) due.push_back(read_callback(rows));
  }
  for (auto& callback : due) {
    ++callback.attempts;
    db_.prepare("UPDATE callbacks SET attempts = :attempts, next_attempt = :next WHERE id = :id")
        .bind(":attempts", callback.attempts)
        .bind(":next", now + std::chrono::seconds(callback.retry_interval))
        .bind(":id", callback.id)
        .run();
  }
  tx.commit();
  return due;
}

void SqlCallbackStore::complete_callback(Id callback_id, std::optional<Id> cdr_id) {
  SqlTransaction tx(db_, Mode::write);
  db_.prepare("UPDATE callbacks SET completed = 1, cdr_id = :cdr_id WHERE id = :id")
      .bind(":cdr_id", cdr_id)
      .bind(":id", callback_id)
      .run();
  if (db_.changes() == 0) throw NotFoundError("callback not found");
  tx.commit();
}

void SqlCallbackStore::finish_attempt(Id callback_id, Id cdr_id, bool connected) {
  SqlTransaction tx(db_, Mode::write);
  db_.prepare(
         "UPDATE callbacks SET completed = 1, cdr_id = :cdr_id"
         " WHERE id = :id AND completed = 0 AND (:connected = 1 OR attempts > retries)")
      .bind(":cdr_id", cdr_id)
      .bind(":id", callback_id)
      .bind(":connected", connected ? 1 : 0)
      .run();
  if (db_.changes() == 0) {
    auto exists = db_.prepare("SELECT 1 FROM callbacks WHERE id = :id");
    exists.bind(":id", callback_id);
    if (!exists.step()) throw NotFoundError("callback not found");
  }
  tx.commit();
}

}  // namespace callsight
