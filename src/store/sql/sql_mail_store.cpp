#include "store/sql/sql_mail_store.hpp"

#include <algorithm>

#include "store/sql/sql_call_record_store.hpp"
#include "store/sql/sql_mail_outbox.hpp"
#include "store/sql/sql_purge.hpp"

namespace callsight {
namespace {

const std::string kMailColumns =
    "id, partner_id, cdr_id, kind, recipient, subject, body, message_token, state, attempts,"
    " next_attempt, last_error, sent_at, created";

OutboxMail read_mail(const SqlStatement& row) {
  OutboxMail m;
  m.id = row.int64(0);
  m.partner_id = row.int64(1);
  m.cdr_id = row.optional_int64(2);
  m.kind = parse_notification_kind(row.text(3)).value();
  m.recipient = row.text(4);
  m.subject = row.text(5);
  m.body = row.text(6);
  m.message_token = row.text(7);
  m.state = parse_mail_state(row.text(8)).value();
  m.attempts = row.integer(9);
  m.next_attempt = row.time(10);
  m.last_error = row.text(11);
  m.sent_at = row.optional_time(12);
  m.created = row.time(13);
  return m;
}

}  // namespace

std::vector<OutboxMail> SqlMailStore::claim_mails(TimePoint now, std::chrono::seconds lease,
                                                  int limit, const RowFailureHandler& on_failure) {
  // As the webhook dispatcher claims (sql_webhook_store): each node locks the rows it claims
  // and passes over rows another is claiming; the moved next_attempt keeps every node from
  // claiming them again until the lease ends.
  SqlTransaction tx(db_, Mode::concurrent_write);
  std::vector<OutboxMail> mails;
  std::vector<Id> claimed;
  {
    auto rows = db_.prepare("SELECT " + kMailColumns +
                            " FROM mail_outbox m WHERE m.state = 'pending' AND"
                            " m.next_attempt <= :now ORDER BY m.next_attempt, m.id LIMIT :limit" +
                            db_.dialect().lock_clause("m", /*skip_locked=*/true));
    rows.bind(":now", now).bind(":limit", std::max(limit, 0));
    while (rows.step()) {
      const Id mail_id = rows.int64(0);
      claimed.push_back(mail_id);
      try {
        mails.push_back(read_mail(rows));
      } catch (const std::exception& e) {
        if (!on_failure) throw;
        on_failure(mail_id, e);
      }
    }
  }
  for (const Id mail_id : claimed) {
    db_.prepare("UPDATE mail_outbox SET next_attempt = :next WHERE id = :id")
        .bind(":next", now + lease)
        .bind(":id", mail_id)
        .run();
  }
  for (auto& mail : mails) mail.next_attempt = now + lease;
  tx.commit();
  return mails;
}

void SqlMailStore::record_mail_attempt(Id mail_id, const MailAttempt& attempt, TimePoint now) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  const bool pending = !attempt.sent && attempt.next_attempt;
  const char* state = attempt.sent ? "sent" : pending ? "pending" : "dead";
  db_.prepare(
         "UPDATE mail_outbox SET state = :state, attempts = attempts + 1,"
         " next_attempt = COALESCE(CAST(:next AS BIGINT), next_attempt), last_error = :error,"
         " sent_at = :sent_at, body = CASE WHEN :keep_body = 1 THEN body ELSE '' END"
         " WHERE id = :id AND state = 'pending'")
      .bind(":state", state)
      .bind(":next", attempt.next_attempt)
      .bind(":error", attempt.error)
      .bind(":sent_at", attempt.sent ? std::optional<TimePoint>(now) : std::nullopt)
      .bind(":keep_body", pending ? 1 : 0)
      .bind(":id", mail_id)
      .run();
  tx.commit();
}

MailOutboxDepth SqlMailStore::mail_outbox_depth() {
  SqlTransaction tx(db_, Mode::read);
  MailOutboxDepth depth;
  auto rows = db_.prepare(
      "SELECT state, COUNT(*), MIN(created) FROM mail_outbox WHERE state <> 'sent'"
      " GROUP BY state");
  while (rows.step()) {
    const auto state = rows.text(0);
    if (state == "pending") {
      depth.pending = rows.int64(1);
      depth.oldest_pending = rows.optional_time(2);
    } else if (state == "dead") {
      depth.dead = rows.int64(1);
    }
  }
  return depth;
}

bool SqlMailStore::queue_voicemail_mail(Id cdr_id, std::string_view message_link) {
  SqlTransaction tx(db_, Mode::concurrent_write);
  const auto record = find_call_record(db_, cdr_id, /*lock_row=*/true);
  if (!record) throw NotFoundError("call record not found");
  bool written = false;
  if (const auto context = read_notification_context(db_, *record)) {
    if (const auto mail = voicemail_notification(*record, *context, message_link)) {
      written = write_outbox_mail(db_, *record, *mail, clock_.now());
    }
  }
  tx.commit();
  return written;
}

std::vector<OutboxMail> SqlMailStore::mails_of_call(Id cdr_id) {
  SqlTransaction tx(db_, Mode::read);
  auto rows = db_.prepare("SELECT " + kMailColumns +
                          " FROM mail_outbox WHERE cdr_id = :cdr_id ORDER BY id");
  rows.bind(":cdr_id", cdr_id);
  std::vector<OutboxMail> mails;
  while (rows.step()) mails.push_back(read_mail(rows));
  return mails;
}

PurgeProgress SqlMailStore::purge_settled_mail(TimePoint cutoff,
                                               const RowFailureHandler& on_failure,
                                               int max_batches) {
  return purge_settled_rows(
      db_, {.table = "mail_outbox", .settled = "mail_outbox.state IN ('sent', 'dead')"}, cutoff, {},
      on_failure, max_batches);
}

}  // namespace callsight
