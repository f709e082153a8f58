#include "store/sql/migrations.hpp"

#include <string>

#include "core/time_format.hpp"
#include "store/sql/migrations/migration.hpp"
#include "store/store.hpp"

namespace callsight {
namespace {

// Each migration is looked up by its own version, so one that is missing is applied even if
// later ones are recorded.
bool is_recorded(SqlDatabase& db, int version) {
  auto stmt = db.prepare("SELECT 1 FROM schema_migrations WHERE version = :version");
  stmt.bind(":version", version);
  return stmt.step();
}

}  // namespace

int latest_schema_version() { return kMigrations.back()->version; }

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
  for (const Migration* migration : kMigrations) {
    // Checked inside the write transaction: another process or node may be migrating the
    // same database at this moment; write transactions exclude each other.
    SqlTransaction tx(db, TxMode::write);
    const int current = recorded_schema_version(db);
    if (current > latest_schema_version()) {
      throw StoreError("the database has schema version " + std::to_string(current) +
                       ", newer than this Callsight knows (" +
                       std::to_string(latest_schema_version()) + "); upgrade Callsight");
    }
    if (is_recorded(db, migration->version)) continue;
    db.exec(db.ddl(migration->sql));
    db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :at)")
        .bind(":version", migration->version)
        .bind(":at", format_utc(now))
        .run();
    tx.commit();
  }
  SqlTransaction tx(db, TxMode::read);
  return recorded_schema_version(db);
}

}  // namespace callsight
