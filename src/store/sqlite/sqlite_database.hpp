#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/sql/sql_database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace callsight {

// SqlDatabase on one SQLite file (WAL, synchronous=FULL) through one connection.
//
// Threading: a transaction holds the connection's mutex from begin to commit or rollback.
// SQLite serialises writers anyway, so this costs only read concurrency, which one node
// does not need. Other processes (the admin CLI) are kept apart by SQLite's file locks:
// writes begin IMMEDIATE and wait up to the busy timeout.
class SqliteDatabase final : public SqlDatabase {
 public:
  explicit SqliteDatabase(const std::string& path);
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  const SqlDialect& dialect() const override;
  std::string description() const override;
  SqlStatement prepare(const std::string& sql) override;
  void exec(const std::string& sql) override;
  std::int64_t changes() override;
  void begin(TxMode mode) override;
  void commit() override;
  void rollback() noexcept override;
  DatabasePoolStats pool_stats() const override;

 private:
  void run(const char* sql);
  void lock_connection();
  void unlock_connection();

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::mutex mutex_;
  std::atomic<bool> in_use_{false};
  std::atomic<std::uint64_t> waits_{0};
  std::atomic<std::uint64_t> wait_nanoseconds_{0};
};

}  // namespace callsight
