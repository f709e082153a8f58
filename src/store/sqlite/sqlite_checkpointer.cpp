#include "store/sqlite/sqlite_checkpointer.hpp"

#include <sqlite3.h>

#include "store/store.hpp"

namespace callsight {

SqliteCheckpointer::SqliteCheckpointer(const std::string& path) {
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw StoreError("cannot open SQLite database " + path + " to checkpoint it: " + why);
  }
  // A checkpoint fsyncs the database file after copying the WAL into it unless synchronous
  // is OFF; FULL says so outright.
  sqlite3_exec(db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  // A connection learns that the file is in WAL mode on its first read; until then its
  // checkpoints do nothing.
  sqlite3_exec(db_, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  thread_ = std::thread([this] { run(); });
}

SqliteCheckpointer::~SqliteCheckpointer() {
  if (watched_ != nullptr) sqlite3_wal_hook(watched_, nullptr, nullptr);
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_one();
  thread_.join();
  sqlite3_close(db_);
}

void SqliteCheckpointer::watch(sqlite3* writer) {
  watched_ = writer;
  sqlite3_wal_hook(writer, &committed, this);
}

int SqliteCheckpointer::committed(void* self, sqlite3* writer, const char* schema, int wal_pages) {
  auto& checkpointer = *static_cast<SqliteCheckpointer*>(self);
  const auto by_committer = checkpointer.after_commit(wal_pages);
  if (by_committer == ByCommitter::none) return SQLITE_OK;
  // After the commit: its write lock is released, and a failure here loses nothing.
  const int rc =
      sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  const std::lock_guard lock(checkpointer.mutex_);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    ++checkpointer.stats_.failed;
  } else {
    ++(by_committer == ByCommitter::finishing ? checkpointer.stats_.finishing
                                              : checkpointer.stats_.bounding);
  }
  return SQLITE_OK;
}

SqliteCheckpointer::ByCommitter SqliteCheckpointer::after_commit(int wal_pages) {
  std::unique_lock lock(mutex_);
  // A WAL started over holds fewer pages than were copied from the last one.
  if (wal_pages < copied_pages_) {
    copied_pages_ = 0;
    finish_ = false;
  }
  if (finish_) {
    finish_ = false;
    return ByCommitter::finishing;
  }
  if (wal_pages >= kCommitterPages) return ByCommitter::bounding;
  if (due_ || running_ || wal_pages - copied_pages_ < kStartPages) return ByCommitter::none;
  due_ = true;
  lock.unlock();
  wanted_.notify_one();
  return ByCommitter::none;
}

void SqliteCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wanted_.wait(lock, [this] { return due_ || stopping_; });
    if (stopping_) return;
    due_ = false;
    running_ = true;
    lock.unlock();
    int wal_pages = 0;
    int copied_pages = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages,
                                             &copied_pages);
    lock.lock();
    running_ = false;
    // Busy: another checkpoint (the committer's, or another process's) was under way; the next
    // commit past the mark asks again. An I/O error fails the commits too.
    if (rc == SQLITE_OK) {
      copied_pages_ = copied_pages;
      finish_ = copied_pages == wal_pages;
      ++stats_.background;
    } else if (rc != SQLITE_BUSY) {
      ++stats_.failed;
    }
  }
}

CheckpointStats SqliteCheckpointer::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace callsight
