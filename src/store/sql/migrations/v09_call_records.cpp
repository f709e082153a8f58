#include "store/sql/migrations/migration.hpp"

namespace callsight {

// One column per CallRecord field; instants are INTEGER unix seconds, enums their
// to_string names. Status is not a column: call_status() derives it from the facts.
//
// customer_id is NOT NULL, so a CDR cannot outlive its customer: deleting a customer takes
// its CDRs along (ON DELETE CASCADE). That is reached only once all the customer's sources
// are archived, since delete_customer refuses while any is live. source_id, campaign_id and
// callback_id only attribute the call: deleting what they point at (an archived source
// going with its customer, a campaign, a callback) must not be blocked by CDRs, so they
// become NULL. partner_id needs no action: a partner with customers cannot be removed.
const Migration kMigration9 = {9, R"sql(
CREATE TABLE cdrs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id INTEGER NOT NULL REFERENCES partners(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
  campaign_id INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,
  callback_id INTEGER REFERENCES callbacks(id) ON DELETE SET NULL,
  direction TEXT NOT NULL,
  switch_call_id TEXT NOT NULL UNIQUE,
  caller TEXT NOT NULL,
  tracking_number TEXT NOT NULL,
  answering_number TEXT NOT NULL,
  action TEXT NOT NULL,
  reject_sip_status INTEGER,
  reject_reason TEXT NOT NULL,
  quarantined INTEGER NOT NULL,
  recorded INTEGER NOT NULL,
  voicemail_on_busy INTEGER NOT NULL,
  voicemail_on_no_answer INTEGER NOT NULL,
  start INTEGER NOT NULL,
  ringing_at INTEGER,
  answered_at INTEGER,
  voicemail_at INTEGER,
  ended_at INTEGER,
  failure_sip_status INTEGER,
  hangup_by TEXT NOT NULL,
  hangup_reason TEXT NOT NULL
);
CREATE INDEX cdrs_by_partner ON cdrs(partner_id, direction, start, id);
CREATE INDEX cdrs_by_customer ON cdrs(customer_id, direction, start, id);
CREATE INDEX cdrs_by_source ON cdrs(source_id, start, id);
CREATE INDEX cdrs_by_campaign ON cdrs(campaign_id);
CREATE INDEX cdrs_by_callback ON cdrs(callback_id);
)sql"};

}  // namespace callsight
