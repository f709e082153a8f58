// The database a store test runs on (TestDatabase): an SQLite file in a temp dir, or, when
// CALLSIGHT_TEST_BACKEND is "postgres", a schema of its own on the PostgreSQL server
// CALLSIGHT_TEST_PG_URL names, so one contract suite checks both backends.
//
// Most tests start from a migrated database. Migrating is most of what a new one costs (twenty
// transactions of DDL: about a second a test on PostgreSQL, most of one again to drop it), so a
// process migrates once and each test gets what those migrations left: on SQLite a copy of the
// migrated file; on PostgreSQL the schema the previous test used, emptied again (every row
// deleted, the migrations' own rows put back, every sequence where the migrations left it).
// A test that changed the schema's definition (a trigger, a function, a column dropped and
// added) leaves it to be dropped instead: the next test gets a newly migrated one. Tests of
// the migrations themselves start from an empty database.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/random.hpp"
#include "core/clock.hpp"
#include "store/postgres/pg_database.hpp"
#include "store/sql/sql_database.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/store.hpp"

namespace callsight {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "callsight-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline bool testing_postgres() {
  const char* backend = std::getenv("CALLSIGHT_TEST_BACKEND");
  return backend && std::string(backend) == "postgres";
}

// What a test's database holds when the test starts.
enum class Start {
  empty,     // nothing at all: for the tests of migrations
  migrated,  // what the migrations of a new database leave, and no more
};

// The server URL with `schema` first on the search path. synchronous_commit off: these tests
// never crash the server, and waiting for the WAL's fsync at each commit would be most of
// their time.
inline std::string pg_schema_url(const std::string& server_url, const std::string& schema) {
  const char* separator = server_url.find('?') == std::string::npos ? "?" : "&";
  return server_url + separator + "options=-csearch_path%3D" + schema +
         "%2Cpublic%20-csynchronous_commit%3Doff";
}

// The SQLite file the migrations made, once per process; each test gets a copy of it.
inline const std::filesystem::path& migrated_sqlite_file() {
  static const TempDir dir;
  static const std::filesystem::path file = [] {
    const auto path = dir.path() / "migrated.db";
    const SystemClock clock;
    open_store(path.string(), clock).reset();
    // Closing checkpointed the WAL into the file and removed it, so the file is all of it.
    if (std::filesystem::exists(path.string() + "-wal")) {
      throw std::runtime_error(
          "the migrated SQLite database kept a WAL file: copying the "
          "database file alone would lose what it holds");
    }
    return path;
  }();
  return file;
}

// This process's schemas on the PostgreSQL server: new empty ones, and migrated ones handed
// from test to test.
class PgTestSchemas {
 public:
  static PgTestSchemas& on(const std::string& server_url) {
    if (!instance()) instance().reset(new PgTestSchemas(server_url));
    return *instance();
  }
  // Drops the schemas no test holds. Called after the last test (PgTestSchemasCleanup), not
  // by a static's destructor at exit: by then statics the database client uses may be gone.
  static void close() {
    if (instance() && ::getpid() == instance()->owner_) {
      for (const auto& schema : instance()->idle_) instance()->drop(schema);
    }
    instance().reset();
  }
  PgTestSchemas(const PgTestSchemas&) = delete;
  PgTestSchemas& operator=(const PgTestSchemas&) = delete;

  std::string empty() {
    const std::string schema = "t_" + random_hex(8);
    run("CREATE SCHEMA " + schema);
    return schema;
  }

  std::string migrated() {
    if (!idle_.empty()) {
      const std::string schema = idle_.back();
      idle_.pop_back();
      return schema;
    }
    const std::string schema = empty();
    const SystemClock clock;
    open_store(pg_schema_url(server_url_, schema), clock).reset();
    migrations_left_[schema] = {definition_of(schema), reset_sql(schema)};
    return schema;
  }

  // A schema a test is done with: a migrated one whose definition the test left as it was
  // is emptied for the next test; any other is dropped.
  void release(const std::string& schema) {
    const auto migrated = migrations_left_.find(schema);
    if (migrated == migrations_left_.end() ||
        definition_of(schema) != migrated->second.definition) {
      drop(schema);
      return;
    }
    run(migrated->second.reset_sql);
    idle_.push_back(schema);
  }

 private:
  explicit PgTestSchemas(const std::string& server_url)
      // In no test's schema.
      : server_url_(server_url), admin_(pg_schema_url(server_url, "public"), 1) {}

  // What a migrated schema is, and the SQL that takes it back there.
  struct AsMigrated {
    std::string definition;
    std::string reset_sql;
  };

  void run(const std::string& sql) {
    SqlTransaction tx(admin_, TxMode::concurrent_write);
    admin_.exec(sql);
    tx.commit();
  }

  std::vector<std::vector<std::string>> rows(const std::string& sql, const std::string& schema,
                                             int columns) {
    SqlTransaction tx(admin_, TxMode::read);
    auto statement = admin_.prepare(sql);
    statement.bind(":schema", schema);
    std::vector<std::vector<std::string>> out;
    while (statement.step()) {
      auto& row = out.emplace_back();
      for (int column = 0; column < columns; ++column) {
        row.push_back(statement.optional_text(column).value_or(""));
      }
    }
    return out;
  }

  bool has_rows(const std::string& table) {
    SqlTransaction tx(admin_, TxMode::read);
    return admin_.prepare("SELECT 1 FROM " + table + " LIMIT 1").step();
  }

  void drop(const std::string& schema) {
    const bool migrated = migrations_left_.erase(schema) > 0;
    run("DROP SCHEMA " + schema + " CASCADE" +
        (migrated ? "; DROP SCHEMA " + seed_schema(schema) + " CASCADE" : ""));
  }

  static std::string seed_schema(const std::string& schema) { return schema + "_seed"; }

  // Everything in the schema but its rows, as a digest: relations, columns (by number, so a
  // column dropped and added again shows), defaults, indexes, constraints, triggers,
  // routines, types, sequences' settings, rules and policies.
  std::string definition_of(const std::string& schema) {
    static const std::string sql = R"sql(
SELECT md5(string_agg(line, E'\n' ORDER BY line)) FROM (
  SELECT concat_ws(' ', 'relation', c.relname, c.relkind, c.relrowsecurity, c.reloptions::text,
                   c.relacl::text) AS line
    FROM pg_class c WHERE c.relnamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT concat_ws(' ', 'column', c.relname, a.attnum, a.attname,
                   format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attisdropped,
                   a.attidentity, a.attgenerated, a.attcollation, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = CAST(:schema AS regnamespace) AND a.attnum > 0
  UNION ALL
  SELECT concat_ws(' ', 'index', pg_get_indexdef(i.indexrelid))
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relnamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT concat_ws(' ', 'constraint', c.conrelid::regclass::text, c.conname,
                   pg_get_constraintdef(c.oid))
    FROM pg_constraint c WHERE c.connamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT concat_ws(' ', 'trigger', c.relname, t.tgname, t.tgenabled)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT concat_ws(' ', 'routine', p.oid::regprocedure::text, md5(p.prosrc))
    FROM pg_proc p WHERE p.pronamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT concat_ws(' ', 'type', t.typname, t.typtype)
    FROM pg_type t WHERE t.typnamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT concat_ws(' ', 'sequence', c.relname, s.seqtypid, s.seqstart, s.seqincrement,
                   s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
    WHERE c.relnamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT concat_ws(' ', 'rule', c.relname, r.rulename, pg_get_ruledef(r.oid))
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
    WHERE c.relnamespace = CAST(:schema AS regnamespace)
  UNION ALL
  SELECT concat_ws(' ', 'policy', c.relname, p.polname, pg_get_expr(p.polqual, p.polrelid))
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
    WHERE c.relnamespace = CAST(:schema AS regnamespace)
) lines)sql";
    return rows(sql, schema, 1).at(0).at(0);
  }

  // The tables ordered so that each comes before every table it references: deleting in
  // this order never leaves a row pointing at a deleted one.
  static std::vector<std::string> referencing_first(
      std::vector<std::string> tables, const std::vector<std::vector<std::string>>& references) {
    std::vector<std::string> ordered;
    const auto is_ordered = [&](const std::string& table) {
      return std::find(ordered.begin(), ordered.end(), table) != ordered.end();
    };
    while (!tables.empty()) {
      const auto next = std::find_if(tables.begin(), tables.end(), [&](const std::string& t) {
        return std::none_of(references.begin(), references.end(), [&](const auto& reference) {
          return reference[1] == t && reference[0] != t && !is_ordered(reference[0]);
        });
      });
      if (next == tables.end()) throw std::runtime_error("the tables reference each other");
      ordered.push_back(*next);
      tables.erase(next);
    }
    return ordered;
  }

  // Deletes every row, puts back the rows the migrations wrote (kept in a seed schema) and
  // sets every sequence where the migrations left it.
  std::string reset_sql(const std::string& schema) {
    std::vector<std::string> tables;
    for (auto& row : rows("SELECT relname FROM pg_class WHERE relkind = 'r'"
                          " AND relnamespace = CAST(:schema AS regnamespace) ORDER BY relname",
                          schema, 1)) {
      tables.push_back(row[0]);
    }
    const auto order = referencing_first(
        tables, rows("SELECT referencing.relname, referenced.relname FROM pg_constraint c"
                     " JOIN pg_class referencing ON referencing.oid = c.conrelid"
                     " JOIN pg_class referenced ON referenced.oid = c.confrelid"
                     " WHERE c.contype = 'f' AND c.connamespace = CAST(:schema AS regnamespace)",
                     schema, 2));
    std::string sql;
    for (const auto& table : order) sql += "DELETE FROM " + schema + "." + table + ";\n";
    const std::string seed = seed_schema(schema);
    run("CREATE SCHEMA " + seed);
    for (auto table = order.rbegin(); table != order.rend(); ++table) {
      const std::string migrated = schema + "." + *table;
      if (!has_rows(migrated)) continue;
      run("CREATE TABLE " + seed + "." + *table + " AS TABLE " + migrated);
      sql += "INSERT INTO " + migrated + " OVERRIDING SYSTEM VALUE SELECT * FROM " + seed + "." +
             *table + ";\n";
    }
    for (auto& sequence : rows("SELECT sequencename, last_value, start_value FROM pg_sequences"
                               " WHERE schemaname = :schema",
                               schema, 3)) {
      const bool used = !sequence[1].empty();
      sql += "SELECT setval('" + schema + "." + sequence[0] + "', " +
             (used ? sequence[1] + ", true" : sequence[2] + ", false") + ");\n";
    }
    return sql;
  }

  static std::unique_ptr<PgTestSchemas>& instance() {
    static std::unique_ptr<PgTestSchemas> schemas;
    return schemas;
  }

  const std::string server_url_;
  const pid_t owner_ = ::getpid();  // a forked child must not drop its parent's schemas
  PgDatabase admin_;
  std::map<std::string, AsMigrated> migrations_left_;
  std::vector<std::string> idle_;
};

class PgTestSchemasCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    try {
      PgTestSchemas::close();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the tests' PostgreSQL schemas could not be dropped: " << e.what();
    }
  }
};
inline ::testing::Environment* const pg_test_schemas_cleanup =
    ::testing::AddGlobalTestEnvironment(new PgTestSchemasCleanup);

class TestDatabase {
 public:
  explicit TestDatabase(Start start) {
    if (!testing_postgres()) {
      if (start == Start::migrated) std::filesystem::copy_file(migrated_sqlite_file(), file());
      return;
    }
    const char* url = std::getenv("CALLSIGHT_TEST_PG_URL");
    if (!url || !*url) {
      throw std::runtime_error(
          "CALLSIGHT_TEST_BACKEND=postgres needs CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster)");
    }
    server_url_ = url;
    auto& schemas = PgTestSchemas::on(server_url_);
    schema_ = start == Start::migrated ? schemas.migrated() : schemas.empty();
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase() {
    if (schema_.empty()) return;
    try {
      PgTestSchemas::on(server_url_).release(schema_);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the test's schema " << schema_ << " could not be released: " << e.what();
    }
  }

  // What open_store takes: the SQLite file, or the server URL with this test's schema first
  // on the search path.
  std::string location() const {
    return schema_.empty() ? file().string() : pg_schema_url(server_url_, schema_);
  }
  // A second, raw handle on the same database, for what a test checks beneath the Store.
  std::unique_ptr<SqlDatabase> open_raw() const {
    if (schema_.empty()) return std::make_unique<SqliteDatabase>(location());
    return std::make_unique<PgDatabase>(location(), 1);
  }

 private:
  std::filesystem::path file() const { return dir_.path() / "callsight.db"; }

  TempDir dir_;
  std::string server_url_;
  std::string schema_;
};

}  // namespace callsight
