// The schema a fresh database gets from the migrations, compared with a snapshot committed in
// tests/data: migrations are frozen, so a change to one (or to how they are found and run) that
// alters what a database ends up with fails here, on each backend.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "store/sql/migrations/migration.hpp"
#include "store/sql/sql_database.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

// Every table, index and trigger as SQLite keeps it: the CREATE text, which SQLite itself
// rewrites on ALTER TABLE, so it also shows columns added later and their order.
std::string sqlite_schema(SqlDatabase& db) {
  std::ostringstream out;
  auto rows = db.prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, tbl_name, name");
  while (rows.step()) {
    out << rows.text(0) << ' ' << rows.text(1) << " on " << rows.text(2) << '\n'
        << rows.optional_text(3).value_or("(made by SQLite)") << "\n\n";
  }
  return out.str();
}

// Replaces every "<schema>." with "": each test runs in a schema of its own.
std::string without_schema(std::string text, const std::string& schema) {
  const std::string prefix = schema + ".";
  for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
    text.erase(at, prefix.size());
  }
  return text;
}

// Columns (in order, with type, nullability, default and identity), indexes and constraints
// of the current schema, as PostgreSQL's catalog describes them.
std::string postgres_schema(SqlDatabase& db) {
  std::ostringstream out;
  auto schema_row = db.prepare("SELECT current_schema()");
  schema_row.step();
  const std::string schema = schema_row.text(0);
  auto columns = db.prepare(
      "SELECT table_name, column_name, udt_name, is_nullable, "
      "COALESCE(column_default, '-'), is_identity FROM information_schema.columns "
      "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position");
  while (columns.step()) {
    out << "column " << columns.text(0) << '.' << columns.text(1) << ' ' << columns.text(2)
        << " nullable=" << columns.text(3) << " default=" << columns.text(4)
        << " identity=" << columns.text(5) << '\n';
  }
  auto indexes = db.prepare(
      "SELECT tablename, indexname, indexdef FROM pg_indexes "
      "WHERE schemaname = current_schema() ORDER BY tablename, indexname");
  while (indexes.step()) {
    out << "index " << indexes.text(0) << '.' << indexes.text(1) << ' '
        << without_schema(indexes.text(2), schema) << '\n';
  }
  auto constraints = db.prepare(
      "SELECT r.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
      "JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = c.connamespace "
      "WHERE n.nspname = current_schema() ORDER BY r.relname, c.conname");
  while (constraints.step()) {
    out << "constraint " << constraints.text(0) << '.' << constraints.text(1) << ' '
        << without_schema(constraints.text(2), schema) << '\n';
  }
  return out.str();
}

std::string snapshot_path() {
  return std::string(CALLSIGHT_TEST_DATA_DIR) +
         (testing_postgres() ? "/schema_postgres.txt" : "/schema_sqlite.txt");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string schema_of(SqlDatabase& db) {
  SqlTransaction tx(db, TxMode::read);
  return testing_postgres() ? postgres_schema(db) : sqlite_schema(db);
}

TEST(SqlSchema, FreshDatabaseHasTheSnapshotSchema) {
  TestDatabase database(Start::empty);
  ManualClock clock(at("2024-01-15 12:00:00"));
  open_store(database.location(), clock).reset();
  const std::string schema = schema_of(*database.open_raw());
  // A new migration changes the schema on purpose: CALLSIGHT_WRITE_SCHEMA_SNAPSHOT=1 writes the
  // new snapshot, for its diff to be reviewed with the migration.
  if (std::getenv("CALLSIGHT_WRITE_SCHEMA_SNAPSHOT")) {
    std::ofstream(snapshot_path()) << schema;
    GTEST_SKIP() << "wrote " << snapshot_path();
  }
  const std::string expected = read_file(snapshot_path());
  ASSERT_FALSE(expected.empty()) << "no snapshot at " << snapshot_path();
  EXPECT_EQ(schema, expected);
}

// A database an older Callsight made (here at version 9, with a partner in it) is brought to
// the same schema as a fresh one, and the data migrations fill what they must.
TEST(SqlSchema, DatabaseFromVersion9MigratesToTheSnapshotSchema) {
  TestDatabase database(Start::empty);
  {
    const auto db = database.open_raw();
    SqlTransaction tx(*db, TxMode::write);
    db->exec(db->ddl(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"));
    for (const Migration* migration : kMigrations) {
      if (migration->version > 9) break;
      db->exec(db->ddl(migration->sql));
      db->prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (:version, 'then')")
          .bind(":version", migration->version)
          .run();
    }
    db->exec(
        "INSERT INTO partners (name, username, password_hash, digest_ha1_md5, digest_ha1_sha256,"
        " country, timezone, quarantine_days, created)"
        " VALUES ('old', 'old', 'x', 'x', 'x', 'SE', 'Europe/Stockholm', 90, 'then')");
    tx.commit();
  }
  ManualClock clock(at("2024-01-15 12:00:00"));
  open_store(database.location(), clock).reset();
  const auto db = database.open_raw();
  EXPECT_EQ(schema_of(*db), read_file(snapshot_path()));
  SqlTransaction tx(*db, TxMode::read);
  auto salt = db->prepare("SELECT anum_salt FROM partners WHERE username = 'old'");
  ASSERT_TRUE(salt.step());
  EXPECT_EQ(salt.text(0).size(), 32u) << "migration 10 gives older partners a salt";
}

}  // namespace
}  // namespace callsight
