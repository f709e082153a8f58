#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace callsight {

// A cached prepared statement lent out for one execution. Parameters are bound by name
// (":name"); the statement is reset and its bindings cleared when this goes out of scope,
// so the cache can lend it again.
class SqliteStatement {
 public:
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  SqliteStatement& bind(const char* name, std::int64_t value);
  SqliteStatement& bind(const char* name, int value) {
    return bind(name, static_cast<std::int64_t>(value));
  }
  SqliteStatement& bind(const char* name, std::string_view value);
  SqliteStatement& bind(const char* name, const std::string& value) {
    return bind(name, std::string_view(value));
  }
  SqliteStatement& bind(const char* name, TimePoint value) {
    return bind(name, static_cast<std::int64_t>(value.time_since_epoch().count()));
  }
  SqliteStatement& bind(const char* name, std::nullopt_t);
  template <class T>
  SqliteStatement& bind(const char* name, const std::optional<T>& value) {
    return value ? bind(name, *value) : bind(name, std::nullopt);
  }

  // Advances to the next row; false when the statement is done. Throws StoreError.
  bool step();
  // Runs a statement that returns no rows.
  void run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  int integer(int column) const { return static_cast<int>(int64(column)); }
  std::string text(int column) const;
  TimePoint time(int column) const { return TimePoint(std::chrono::seconds(int64(column))); }
  std::optional<std::int64_t> optional_int64(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<TimePoint> optional_time(int column) const;

 private:
  int index_of(const char* name) const;
  void check(int rc) const;

  sqlite3_stmt* stmt_;
};

// One SQLite connection with a statement cache keyed by SQL text. Not thread-safe: the
// owner serialises access.
class SqliteConnection {
 public:
  explicit SqliteConnection(const std::string& path);
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection();

  // Runs SQL text that may hold several statements and takes no parameters.
  void exec(const std::string& sql);
  // The prepared statement for `sql`, prepared on first use and reused afterwards.
  SqliteStatement prepare(const std::string& sql);
  std::int64_t last_insert_id() const;
  int changes() const;

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// A transaction that rolls back unless commit() was reached. Writes take the write lock at
// BEGIN (IMMEDIATE), so a read-then-write cannot interleave with another writer, also in
// another process; reads use a deferred transaction for a consistent snapshot.
class SqliteTransaction {
 public:
  enum class Mode { read, write };
  SqliteTransaction(SqliteConnection& db, Mode mode);
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();
  void commit();

 private:
  SqliteConnection& db_;
  bool open_ = true;
};

}  // namespace callsight
