#include "store/sql/migrations.hpp"

#include <array>
#include <string>

#include "core/time_format.hpp"
#include "store/sql/sql_blacklist_store.hpp"
#include "store/sql/sql_call_record_store.hpp"
#include "store/sql/sql_callback_store.hpp"
#include "store/sql/sql_campaign_store.hpp"
#include "store/sql/sql_greeting_store.hpp"
#include "store/sql/sql_order_store.hpp"
#include "store/sql/sql_pincode_store.hpp"
#include "store/sql/sql_webhook_store.hpp"
#include "store/store.hpp"

namespace callsight {
namespace {

struct Migration {
  int version;
  const char* sql;
};

// Append only: a released migration never changes, a new version gets a new entry.
// Lifecycle instants are INTEGER unix seconds so the status rules can compare them in SQL;
// created/modified are the wire text the API shows.
constexpr std::array<Migration, 15> kMigrations = {{
    {1, R"sql(
CREATE TABLE partners (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  digest_ha1_md5 TEXT NOT NULL,
  digest_ha1_sha256 TEXT NOT NULL,
  country TEXT NOT NULL,
  timezone TEXT NOT NULL,
  quarantine_days INTEGER NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE partner_cidrs (
  partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  cidr TEXT NOT NULL,
  PRIMARY KEY (partner_id, position)
) WITHOUT ROWID;
CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_id INTEGER NOT NULL REFERENCES partners(id),
  name TEXT NOT NULL,
  custnr TEXT NOT NULL,
  corporateid TEXT NOT NULL,
  email TEXT NOT NULL,
  uuid TEXT NOT NULL,
  dncs_class_name TEXT NOT NULL,
  custom_1 TEXT, custom_2 TEXT, custom_3 TEXT, custom_4 TEXT, custom_5 TEXT,
  custom_6 TEXT, custom_7 TEXT, custom_8 TEXT, custom_9 TEXT, custom_10 TEXT,
  custom_11 TEXT, custom_12 TEXT, custom_13 TEXT, custom_14 TEXT, custom_15 TEXT,
  custom_16 TEXT, custom_17 TEXT, custom_18 TEXT, custom_19 TEXT, custom_20 TEXT,
  receive_monthly_report INTEGER NOT NULL,
  freespee_caller_id INTEGER NOT NULL,
  whisper INTEGER NOT NULL,
  created TEXT NOT NULL,
  modified TEXT NOT NULL,
  UNIQUE (partner_id, custnr)
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  write_access INTEGER NOT NULL,
  receive_monthly_report INTEGER NOT NULL,
  token TEXT,
  created TEXT NOT NULL,
  modified TEXT NOT NULL
);
CREATE INDEX users_by_customer ON users(customer_id);
)sql"},
    {2, R"sql(
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
)sql"},
    {3, kCampaignSchemaSql},
    {4, kGreetingSchemaSql},
    {5, kBlacklistSchemaSql},
    {6, kOrderSchemaSql},
    {7, kCallbackSchemaSql},
    {8, kPincodeSchemaSql},
    {9, kCallRecordSchemaSql},
    // The salt behind CDRs' anum_md5; partners made before it get one of their own here.
    {10, R"sql(
ALTER TABLE partners ADD COLUMN anum_salt TEXT NOT NULL DEFAULT '';
UPDATE partners SET anum_salt = lower(hex(randomblob(16)));
)sql"},
    // Secrets every node shares (the Digest nonce key), made on first use.
    {11, R"sql(
CREATE TABLE shared_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created TEXT NOT NULL
);
)sql"},
    {12, kWebhookSchemaSql},
    // The status last announced with a source.status_changed event; sources made before it
    // get theirs, silently, at the next sweep.
    {13, "ALTER TABLE sources ADD COLUMN announced_status TEXT;"},
    // The replay order of events: ids are taken before commit, so on PostgreSQL a smaller id
    // may commit after a larger one; positions are handed out to committed events only.
    {14, R"sql(
ALTER TABLE webhook_events ADD COLUMN stream_position INTEGER;
CREATE INDEX webhook_events_by_position ON webhook_events(stream_position);
CREATE INDEX webhook_events_stream ON webhook_events(partner_id, stream_position);
)sql"},
    // Every call ends: rejected calls end when routed (older ones are closed here, silently),
    // and calls whose end never arrives are closed by the sweep, which finds them by the
    // partial index and marks them end_unknown.
    {15, R"sql(
ALTER TABLE cdrs ADD COLUMN end_unknown INTEGER NOT NULL DEFAULT 0;
UPDATE cdrs SET ended_at = start, failure_sip_status = reject_sip_status
  WHERE action = 'reject' AND ended_at IS NULL;
CREATE INDEX cdrs_open ON cdrs(start) WHERE ended_at IS NULL;
)sql"},
}};

// Each migration is looked up by its own version, so one that is missing is applied even if
// later ones are recorded.
bool is_recorded(SqlDatabase& db, int version) {
  auto stmt = db.prepare("SELECT 1 FROM schema_migrations WHERE version = :version");
  stmt.bind(":version", version);
  return stmt.step();
}

}  // namespace

int latest_schema_version() { return kMigrations.back().version; }

int recorded_schema_version(SqlDatabase& db) {
  auto stmt = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  stmt.step();
  return stmt.integer(0);
}

int apply_migrations(SqlDatabase& db, TimePoint now) {
  {
    SqlTransaction tx(db, TxMode::write);
    db.exec(
        db.ddl("CREATE TABLE IF NOT EXISTS schema_migrations ("
               "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"));
    tx.commit();
  }
  for (const auto& migration : kMigrations) {
    // Checked inside the write transaction: another process or node may be migrating the
    // same database at this moment; write transactions exclude each other.
    SqlTransaction tx(db, TxMode::write);
    const int current = recorded_schema_version(db);
    if (current > latest_schema_version()) {
      throw StoreError("the database has schema version " + std::to_string(current) +
                       ", newer than this Callsight knows (" +
                       std::to_string(latest_schema_version()) + "); upgrade Callsight");
    }
    if (is_recorded(db, migration.version)) continue;
    db.exec(db.ddl(migration.sql));
    db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :at)")
        .bind(":version", migration.version)
        .bind(":at", format_utc(now))
        .run();
    tx.commit();
  }
  SqlTransaction tx(db, TxMode::read);
  return recorded_schema_version(db);
}

}  // namespace callsight
