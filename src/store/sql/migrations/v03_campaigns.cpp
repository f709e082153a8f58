#include "store/sql/migrations/migration.hpp"

namespace callsight {

// starts/expire/expires_at are INTEGER unix seconds like the sources' lifecycle instants.
// A customer's campaigns go with it (ON DELETE CASCADE), so delete_customer needs no
// knowledge of them. partner_campaign_id is unique per customer; NULLs do not collide.
const Migration kMigration3 = {3, R"sql(
CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  email TEXT,
  smsnumber TEXT,
  partner_campaign_id TEXT,
  pricing_model_id TEXT NOT NULL,
  starts INTEGER NOT NULL,
  expire INTEGER,
  expires_at INTEGER,
  notify_on_missed_call INTEGER NOT NULL,
  notify_on_answered_call INTEGER NOT NULL,
  notify_on_new_voicemail INTEGER NOT NULL,
  vm_divert_all INTEGER NOT NULL,
  vm_divert_busy INTEGER NOT NULL,
  vm_divert_noanswer INTEGER NOT NULL,
  call_recording INTEGER NOT NULL,
  vm_greeting_id INTEGER,
  created TEXT NOT NULL,
  modified TEXT NOT NULL
);
CREATE INDEX campaigns_by_customer ON campaigns(customer_id, id);
CREATE UNIQUE INDEX campaigns_by_partner_key ON campaigns(customer_id, partner_campaign_id);
CREATE INDEX sources_by_campaign ON sources(campaign_id);
)sql"};

}  // namespace callsight
