#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sql/group_commit.hpp"
#include "store/sql/sql_database.hpp"
#include "store/sqlite/sqlite_checkpointer.hpp"

struct sqlite3;

namespace callsight {

struct SqliteConnection;

// SqlDatabase on one SQLite file (WAL, synchronous=FULL): one writer connection and up to
// `readers` reader connections, opened on first need.
//
// Write transactions (both write modes; SQLite has one writer anyway) are members of a group
// commit on the writer connection (group_commit.hpp): they run one at a time and share the
// fsync of one COMMIT. Read transactions run on a reader connection beside them, and see
// only committed, durable data. Other processes (the admin CLI) are kept apart by SQLite's
// file locks: a batch begins IMMEDIATE and waits up to the busy timeout.
class SqliteDatabase final : public SqlDatabase, private BatchConnection {
 public:
  static constexpr int kDefaultReaders = 8;

  explicit SqliteDatabase(const std::string& path, int readers = kDefaultReaders);
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  const SqlDialect& dialect() const override;
  std::string description() const override;
  SqlStatement prepare(const std::string& sql) override;
  void exec(const std::string& sql) override;
  std::int64_t changes() override;
  void write_transaction(TxMode mode, const std::function<void()>& work) override;
  void write_transaction_then(TxMode mode, std::function<void()> work, WriteDone done) override;
  void begin(TxMode mode) override;
  void commit() override;
  void rollback() noexcept override;
  DatabasePoolStats pool_stats() const override;

 private:
  // BatchConnection, on the writer connection.
  void open_batch() override;
  void commit_batch() override;
  void abandon_batch() noexcept override;
  void run_on_batch(const char* sql) override;
  bool batch_alive() noexcept override;

  // Throws logic_error for a write transaction of a read mode, or inside another transaction.
  void check_write_transaction(TxMode mode) const;
  // Runs a write transaction's work as this thread's transaction on the writer connection.
  void run_on_writer(const std::function<void()>& work);

  SqliteConnection& current() const;
  SqliteConnection* checkout_reader();
  void checkin_reader(SqliteConnection* reader) noexcept;

  std::string path_;
  int max_readers_;
  std::unique_ptr<SqliteConnection> writer_;
  GroupCommit group_;
  SqliteCheckpointer checkpointer_;  // uses writer_ and group_, so goes before them

  mutable std::mutex readers_mutex_;
  std::condition_variable reader_released_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;  // opened so far
  std::vector<SqliteConnection*> idle_readers_;
  std::uint64_t reader_waits_ = 0;  // guarded by readers_mutex_
  std::chrono::steady_clock::duration reader_wait_time_{0};
};

}  // namespace callsight
