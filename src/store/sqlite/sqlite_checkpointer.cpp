#include "store/sqlite/sqlite_checkpointer.hpp"

#include <sqlite3.h>

#include <utility>

namespace callsight {

SqliteCheckpointer::~SqliteCheckpointer() {
  if (writer_ == nullptr) return;
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_one();
  thread_.join();
}

void SqliteCheckpointer::watch(sqlite3* writer, Exclusively exclusively) {
  writer_ = writer;
  exclusively_ = std::move(exclusively);
  sqlite3_wal_hook(writer, &committed, this);
  thread_ = std::thread([this] { run(); });
}

// On the writer's thread, inside its commit: only notes the WAL's size.
int SqliteCheckpointer::committed(void* self, sqlite3* /*writer*/, const char* /*schema*/,
                                  int wal_pages) {
  auto& checkpointer = *static_cast<SqliteCheckpointer*>(self);
  {
    const std::lock_guard lock(checkpointer.mutex_);
    // A WAL started over holds fewer pages than were copied from the last one.
    if (wal_pages < checkpointer.copied_pages_) checkpointer.copied_pages_ = 0;
    if (checkpointer.due_ || wal_pages - checkpointer.copied_pages_ < kStartPages) {
      return SQLITE_OK;
    }
    checkpointer.due_ = true;
  }
  checkpointer.wanted_.notify_one();
  return SQLITE_OK;
}

void SqliteCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wanted_.wait(lock, [this] { return due_ || stopping_; });
    if (stopping_) return;
    lock.unlock();
    int rc = SQLITE_OK;
    int wal_pages = 0;
    int copied_pages = 0;
    exclusively_([&] {
      rc = sqlite3_wal_checkpoint_v2(writer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages,
                                     &copied_pages);
    });
    lock.lock();
    due_ = false;  // no commit ran meanwhile: the next past the new mark asks again
    // Busy: another process's checkpoint was under way; the next commit past the mark asks
    // again. An I/O error fails the commits too.
    if (rc == SQLITE_OK) {
      copied_pages_ = copied_pages;
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
