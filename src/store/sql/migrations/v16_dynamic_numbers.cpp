#include "store/sql/migrations/migration.hpp"

namespace callsight {

// Dynamic numbers (issue 15, docs/dynamic-numbers.md). A pool is a source of kind 'dynamic':
// its sources row carries the name, medium and routing settings, so call records group by
// source as before; its own settings, numbers and visits hang off that row. (The column is
// not called source_class: that name is the API's "class" integer since v2.)
//
// A number belongs to at most one holder at a time: a static source (numbers.holder_source_id)
// or a pool (a dni_pool_numbers row not yet released, unique per number). The stores check the
// other kind under the number's row lock, as sources already do among themselves.
//
// Times are INTEGER unix seconds, since the hold rules compare them in SQL.
const Migration kMigration16 = {16, R"sql(
ALTER TABLE sources ADD COLUMN number_kind TEXT NOT NULL DEFAULT 'static'
  CHECK (number_kind IN ('static', 'dynamic'));
-- Lists are JSON arrays: they are read and written whole with the pool and never searched.
CREATE TABLE dni_pools (
  source_id INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
  is_default INTEGER NOT NULL,
  match_rules TEXT NOT NULL,
  lease_seconds INTEGER NOT NULL,
  grace_seconds INTEGER NOT NULL,
  cooldown_seconds INTEGER NOT NULL,
  fallback_number TEXT NOT NULL,
  numbers_to_replace TEXT NOT NULL,
  allowed_origins TEXT NOT NULL,
  created TEXT NOT NULL,
  modified TEXT NOT NULL
);
-- A row per stay of a number in a pool. removed_at starts its quarantine, which ends at
-- quarantined_until; released_at is set when another holder takes the number afterwards, so
-- the partial unique index lets a number be in one pool at a time and keeps its history.
-- latest_assignment_id spares the allocation a search for each number's latest hand-out.
CREATE TABLE dni_pool_numbers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pool_source_id INTEGER NOT NULL REFERENCES dni_pools(source_id) ON DELETE CASCADE,
  number TEXT NOT NULL REFERENCES numbers(number),
  added_at INTEGER NOT NULL,
  removed_at INTEGER,
  quarantined_until INTEGER,
  released_at INTEGER,
  latest_assignment_id INTEGER
);
CREATE UNIQUE INDEX dni_pool_numbers_held ON dni_pool_numbers(number) WHERE released_at IS NULL;
CREATE INDEX dni_pool_numbers_by_pool ON dni_pool_numbers(pool_source_id, id);
CREATE TABLE dni_visitors (
  id TEXT PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  first_seen INTEGER NOT NULL
);
-- A session without consent (visitor_id NULL) is one page view.
CREATE TABLE dni_sessions (
  id TEXT PRIMARY KEY,
  visitor_id TEXT REFERENCES dni_visitors(id) ON DELETE CASCADE,
  pool_source_id INTEGER NOT NULL REFERENCES dni_pools(source_id) ON DELETE CASCADE,
  landing_url TEXT NOT NULL,
  referrer TEXT NOT NULL,
  utm_source TEXT NOT NULL,
  utm_medium TEXT NOT NULL,
  utm_campaign TEXT NOT NULL,
  utm_term TEXT NOT NULL,
  utm_content TEXT NOT NULL,
  gclid TEXT NOT NULL,
  gbraid TEXT NOT NULL,
  wbraid TEXT NOT NULL,
  fbclid TEXT NOT NULL,
  msclkid TEXT NOT NULL,
  ga_client_id TEXT,
  user_agent TEXT NOT NULL,
  ip_truncated TEXT NOT NULL,
  custom_parameters TEXT NOT NULL,
  consent INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);
CREATE INDEX dni_sessions_by_visitor ON dni_sessions(visitor_id);
CREATE INDEX dni_sessions_by_pool ON dni_sessions(pool_source_id, created_at);
-- Every hand-out, written in the allocation's transaction. A fallback shown when the pool was
-- full has no pool number (pool_number_id NULL) and counts as an exhaustion.
CREATE TABLE dni_assignments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pool_source_id INTEGER NOT NULL REFERENCES dni_pools(source_id) ON DELETE CASCADE,
  pool_number_id INTEGER REFERENCES dni_pool_numbers(id) ON DELETE CASCADE,
  number TEXT NOT NULL,
  session_id TEXT NOT NULL REFERENCES dni_sessions(id) ON DELETE CASCADE,
  assigned_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  released_at INTEGER,
  shown_as_fallback INTEGER NOT NULL,
  consent INTEGER NOT NULL
);
-- A number's hand-outs around a call (attribution), a session's latest hand-out (a reload
-- keeps its number), a pool's hand-outs over a period (pool health).
CREATE INDEX dni_assignments_by_number ON dni_assignments(number, assigned_at);
CREATE INDEX dni_assignments_by_session ON dni_assignments(session_id, id);
CREATE INDEX dni_assignments_by_pool ON dni_assignments(pool_source_id, assigned_at);
-- Signed server-side requests seen within their window, shared by every node.
CREATE TABLE dni_seen_signatures (
  partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  signature TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (partner_id, signature)
);
CREATE INDEX dni_seen_signatures_by_expiry ON dni_seen_signatures(expires_at);
)sql"};

}  // namespace callsight
