#include "store/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "store/store.hpp"

namespace callsight {
namespace {

constexpr int kBusyTimeoutMs = 5000;

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError("SQLite " + std::string(what) + ": " + sqlite3_errmsg(db));
}

// Runs a PRAGMA on a connection not yet owned by a SqliteDatabase; returns its first value.
std::string pragma_value(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) fail(db, sql);
  const int rc = sqlite3_step(stmt);
  std::string value;
  if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, sql);
  return value;
}

// A cached statement lent out for one execution; reset and unbound when returned.
class SqliteStatement final : public SqlStatementImpl {
 public:
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~SqliteStatement() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  void bind_int64(const char* name, std::int64_t value) override {
    check(sqlite3_bind_int64(stmt_, index_of(name), value));
  }
  void bind_text(const char* name, std::string_view value) override {
    check(sqlite3_bind_text64(stmt_, index_of(name), value.data(), value.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
  }
  void bind_null(const char* name) override { check(sqlite3_bind_null(stmt_, index_of(name))); }

  bool step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(sqlite3_db_handle(stmt_), "step");
  }

  bool is_null(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::int64_t int64(int column) const override { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const override {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  int index_of(const char* name) const {
    const int index = sqlite3_bind_parameter_index(stmt_, name);
    if (index == 0) {
      throw std::logic_error(std::string("SQL has no parameter ") + name + ": " +
                             sqlite3_sql(stmt_));
    }
    return index;
  }
  void check(int rc) const {
    if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), "bind");
  }

  sqlite3_stmt* stmt_;
};

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path)
    : path_(std::filesystem::absolute(path).lexically_normal().string()) {
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, Closer> db(raw);
  if (rc != SQLITE_OK) {
    throw StoreError("cannot open SQLite database " + path + ": " +
                     (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // WAL lets readers proceed beside the writer; synchronous=FULL fsyncs the WAL at every
  // commit, so an acknowledged write survives a SIGKILL and a power loss.
  if (pragma_value(raw, "PRAGMA journal_mode=WAL") != "wal") {
    throw StoreError("SQLite database " + path + " cannot use WAL journaling");
  }
  pragma_value(raw, "PRAGMA synchronous=FULL");
  pragma_value(raw, "PRAGMA foreign_keys=ON");
  // The default 2 MiB page cache is smaller than the CDR index of a busy partner, so every
  // listing's COUNT re-read it from the OS (bench/README.md); 32 MiB keeps it in memory.
  pragma_value(raw, "PRAGMA cache_size=-32768");
  db_ = db.release();
}

SqliteDatabase::~SqliteDatabase() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  sqlite3_close(db_);
  db_ = nullptr;
}

const SqlDialect& SqliteDatabase::dialect() const {
  // SQLite has no row locks: a write transaction holds the whole database.
  static const SqlDialect kSqlite{"SQLite", false};
  return kSqlite;
}

std::string SqliteDatabase::description() const { return "SQLite " + path_; }

void SqliteDatabase::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw StoreError("SQLite: " + message);
  }
}

SqlStatement SqliteDatabase::prepare(const std::string& sql) {
  if (const auto it = cache_.find(sql); it != cache_.end()) {
    return SqlStatement(std::make_unique<SqliteStatement>(it->second));
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    fail(db_, "prepare");
  }
  cache_.emplace(sql, stmt);
  return SqlStatement(std::make_unique<SqliteStatement>(stmt));
}

std::int64_t SqliteDatabase::changes() { return sqlite3_changes(db_); }

void SqliteDatabase::run(const char* sql) { prepare(sql).run(); }

// Writes take the write lock at BEGIN (IMMEDIATE), so a read-then-write cannot interleave
// with another writer, also in another process; reads use a deferred transaction for a
// consistent snapshot.
void SqliteDatabase::begin(TxMode mode) {
  lock_connection();
  try {
    run(mode == TxMode::read ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE");
  } catch (...) {
    mutex_.unlock();
    throw;
  }
}

void SqliteDatabase::commit() {
  run("COMMIT");
  unlock_connection();
}

void SqliteDatabase::rollback() noexcept {
  try {
    run("ROLLBACK");
  } catch (const StoreError&) {
    // SQLite may already have rolled back (e.g. after an I/O error); nothing is left to undo.
  }
  unlock_connection();
}

// The one connection is the whole pool: transactions that wait for it are what limits a
// node on SQLite, so they are counted like a pool's waits.
void SqliteDatabase::lock_connection() {
  if (!mutex_.try_lock()) {
    const auto started = std::chrono::steady_clock::now();
    mutex_.lock();
    const auto waited = std::chrono::steady_clock::now() - started;
    waits_.fetch_add(1, std::memory_order_relaxed);
    wait_nanoseconds_.fetch_add(
        static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()),
        std::memory_order_relaxed);
  }
  in_use_.store(true, std::memory_order_relaxed);
}

void SqliteDatabase::unlock_connection() {
  in_use_.store(false, std::memory_order_relaxed);
  mutex_.unlock();
}

DatabasePoolStats SqliteDatabase::pool_stats() const {
  return {
      .size = 1,
      .open = 1,
      .in_use = in_use_.load(std::memory_order_relaxed) ? 1 : 0,
      .waits = waits_.load(std::memory_order_relaxed),
      .wait_seconds = static_cast<double>(wait_nanoseconds_.load(std::memory_order_relaxed)) / 1e9};
}

}  // namespace callsight
