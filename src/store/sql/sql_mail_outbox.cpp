#include "store/sql/sql_mail_outbox.hpp"

#include "common/random.hpp"
#include "core/mail_outbox.hpp"
#include "core/source_settings.hpp"

namespace callsight {

std::optional<NotificationContext> read_notification_context(SqlDatabase& db,
                                                             const CallRecord& record) {
  if (!record.source_id) return std::nullopt;
  Source source;
  NotificationContext context;
  {
    auto row = db.prepare(
        "SELECT s.name, s.email, s.notify_on_missed_call, s.notify_on_new_voicemail, p.timezone"
        " FROM sources s JOIN partners p ON p.id = s.partner_id WHERE s.id = :id");
    row.bind(":id", *record.source_id);
    if (!row.step()) return std::nullopt;
    source.name = row.text(0);
    source.email = row.optional_text(1);
    source.notify_on_missed_call = row.integer(2);
    source.notify_on_new_voicemail = row.integer(3);
    context.time_zone = row.text(4);
    row.run();
  }
  context.source_name = source.name;
  std::optional<Campaign> campaign;
  if (record.campaign_id) {
    auto row = db.prepare(
        "SELECT email, notify_on_missed_call, notify_on_answered_call, notify_on_new_voicemail"
        " FROM campaigns WHERE id = :id");
    row.bind(":id", *record.campaign_id);
    if (row.step()) {
      campaign.emplace();
      campaign->email = row.optional_text(0);
      campaign->notify_on_missed_call = row.integer(1);
      campaign->notify_on_answered_call = row.integer(2);
      campaign->notify_on_new_voicemail = row.integer(3);
    }
    row.run();
  }
  context.settings = effective_settings(source, campaign ? &*campaign : nullptr);
  return context;
}

bool write_outbox_mail(SqlDatabase& db, const CallRecord& record, const Notification& mail,
                       TimePoint now) {
  auto insert = db.prepare(
      "INSERT INTO mail_outbox (partner_id, cdr_id, kind, recipient, subject, body,"
      " message_token, state, attempts, next_attempt, last_error, created) VALUES (:partner_id,"
      " :cdr_id, :kind, :recipient, :subject, :body, :token, 'pending', 0, :now, '', :now)"
      " ON CONFLICT (cdr_id, kind) DO NOTHING RETURNING id");
  insert.bind(":partner_id", record.partner_id)
      .bind(":cdr_id", record.id)
      .bind(":kind", to_string(mail.kind))
      .bind(":recipient", mail.recipient)
      .bind(":subject", mail.subject)
      .bind(":body", mail.body)
      .bind(":token", random_hex(16))
      .bind(":now", now);
  const bool written = insert.step();
  insert.run();
  return written;
}

void queue_call_notifications(SqlDatabase& db, const CallRecord& before, const CallRecord& after,
                              TimePoint now) {
  // Only the change that makes the call missed looks further, so repeated events cost no
  // reads; the unique (cdr_id, kind) catches whatever gets past this.
  if (!is_missed_call(after) || is_missed_call(before)) return;
  const auto context = read_notification_context(db, after);
  if (!context) return;
  if (const auto mail = missed_call_notification(after, *context)) {
    write_outbox_mail(db, after, *mail, now);
  }
}

void erase_call_mails(SqlDatabase& db, Id cdr_id) {
  db.prepare(
        "UPDATE mail_outbox SET body = '', last_error = CASE WHEN state = 'pending'"
        " THEN 'caller erased' ELSE last_error END, state = CASE WHEN state = 'pending'"
        " THEN 'dead' ELSE state END WHERE cdr_id = :cdr_id")
      .bind(":cdr_id", cdr_id)
      .run();
}

}  // namespace callsight
