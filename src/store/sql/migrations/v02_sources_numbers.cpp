#include "store/sql/migrations/migration.hpp"

namespace callsight {

const Migration kMigration2 = {2, R"sql(
CREATE TABLE sources (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id INTEGER NOT NULL REFERENCES partners(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  name TEXT NOT NULL,
  media TEXT NOT NULL,
  email TEXT,
  smsnumber TEXT,
  answering_number TEXT NOT NULL,
  tracking_number TEXT NOT NULL,
  source_class INTEGER NOT NULL,
  campaign_id INTEGER,
  publisher_id INTEGER,
  vm_greeting_id INTEGER,
  notify_on_missed_call INTEGER NOT NULL,
  notify_on_new_voicemail INTEGER NOT NULL,
  vm_divert_all INTEGER NOT NULL,
  vm_divert_busy INTEGER NOT NULL,
  vm_divert_noanswer INTEGER NOT NULL,
  activation INTEGER NOT NULL,
  expire INTEGER,
  expires_at INTEGER,
  reserved_until INTEGER,
  deleted_at INTEGER,
  archived_at INTEGER,
  created TEXT NOT NULL,
  modified TEXT NOT NULL
);
CREATE INDEX sources_by_customer ON sources(customer_id);
CREATE INDEX sources_by_partner ON sources(partner_id, id);
CREATE INDEX sources_by_tracking_number ON sources(tracking_number);
-- The rule's id is its alt_key, so keys are never reused (AUTOINCREMENT).
CREATE TABLE source_alt_numbers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  answering_number TEXT NOT NULL,
  weekdays INTEGER NOT NULL,
  from_minute INTEGER NOT NULL,
  to_minute INTEGER NOT NULL,
  UNIQUE (source_id, position)
);
-- holder_source_id is the one place that says who holds a number; UNIQUE because a source
-- holds one number. A number is free when nobody holds it or its holder is archived.
CREATE TABLE numbers (
  number TEXT PRIMARY KEY,
  restricted_to_partner INTEGER REFERENCES partners(id) ON DELETE SET NULL,
  added TEXT NOT NULL,
  holder_source_id INTEGER UNIQUE REFERENCES sources(id) ON DELETE SET NULL
) WITHOUT ROWID;
)sql"};

}  // namespace callsight
