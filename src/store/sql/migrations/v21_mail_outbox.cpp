#include "store/sql/migrations/migration.hpp"

namespace callsight {

// The mail outbox (issue 17, item 5; docs/notifications.md): one row per e-mail a call
// causes, written in the transaction of the call event that causes it and sent by the mail
// dispatcher. UNIQUE (cdr_id, kind) keeps it to one mail of a kind per call, however often
// the call's end is reported. Instants the dispatcher compares are INTEGER unix seconds.
const Migration kMigration21 = {21, R"sql(
CREATE TABLE mail_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  cdr_id INTEGER REFERENCES cdrs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  message_token TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  sent_at INTEGER,
  created INTEGER NOT NULL,
  UNIQUE (cdr_id, kind)
);
CREATE INDEX mail_outbox_due ON mail_outbox(state, next_attempt, id);
CREATE INDEX mail_outbox_by_partner ON mail_outbox(partner_id);
)sql"};

}  // namespace callsight
