#include "store/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <memory>

#include "store/store.hpp"

namespace callsight {
namespace {

constexpr int kBusyTimeoutMs = 5000;

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError("SQLite " + std::string(what) + ": " + sqlite3_errmsg(db));
}

// Runs a PRAGMA on a connection not yet owned by a SqliteConnection; returns its first value.
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

}  // namespace

SqliteStatement::~SqliteStatement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int SqliteStatement::index_of(const char* name) const {
  const int index = sqlite3_bind_parameter_index(stmt_, name);
  if (index == 0) {
    throw std::logic_error(std::string("SQL has no parameter ") + name + ": " + sqlite3_sql(stmt_));
  }
  return index;
}

void SqliteStatement::check(int rc) const {
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), "bind");
}

SqliteStatement& SqliteStatement::bind(const char* name, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index_of(name), value));
  return *this;
}

SqliteStatement& SqliteStatement::bind(const char* name, std::string_view value) {
  check(sqlite3_bind_text64(stmt_, index_of(name), value.data(), value.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8));
  return *this;
}

SqliteStatement& SqliteStatement::bind(const char* name, std::nullopt_t) {
  check(sqlite3_bind_null(stmt_, index_of(name)));
  return *this;
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(sqlite3_db_handle(stmt_), "step");
}

void SqliteStatement::run() {
  while (step()) {
  }
}

bool SqliteStatement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t SqliteStatement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string SqliteStatement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::int64_t> SqliteStatement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<std::string> SqliteStatement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<TimePoint> SqliteStatement::optional_time(int column) const {
  if (is_null(column)) return std::nullopt;
  return time(column);
}

SqliteConnection::SqliteConnection(const std::string& path) {
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
  db_ = db.release();
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  sqlite3_close(db_);
  db_ = nullptr;
}

void SqliteConnection::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw StoreError("SQLite: " + message);
  }
}

SqliteStatement SqliteConnection::prepare(const std::string& sql) {
  if (const auto it = cache_.find(sql); it != cache_.end()) return SqliteStatement(it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    fail(db_, "prepare");
  }
  cache_.emplace(sql, stmt);
  return SqliteStatement(stmt);
}

std::int64_t SqliteConnection::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int SqliteConnection::changes() const { return sqlite3_changes(db_); }

SqliteTransaction::SqliteTransaction(SqliteConnection& db, Mode mode) : db_(db) {
  db_.prepare(mode == Mode::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED").run();
}

SqliteTransaction::~SqliteTransaction() {
  if (!open_) return;
  try {
    db_.prepare("ROLLBACK").run();
  } catch (const StoreError&) {
    // SQLite may already have rolled back (e.g. after an I/O error); nothing is left to undo.
  }
}

void SqliteTransaction::commit() {
  db_.prepare("COMMIT").run();
  open_ = false;
}

}  // namespace callsight
