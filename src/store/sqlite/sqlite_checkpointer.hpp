#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "store/store.hpp"

struct sqlite3;

namespace callsight {

// Copies an SQLite database's WAL back into its file on a thread of its own, on the writer
// connection, between two batches of the group commit. SQLite's automatic checkpoint runs
// inside the commit that grows the WAL past 1,000 pages, on the committing connection: for the
// group commit's writer that is a copy and an fsync of the database file (3 ms median, up to
// 15, measured under POST /customers) before the batch's members are answered
// (docs/storage.md, "Checkpoints").
//
// No checkpoint runs on another connection beside the writes. That is the pattern of SQLite's
// WAL-reset bug (sqlite.org/wal.html, "The WAL-Reset Bug": 3.7.0 to 3.51.2; Debian 12 has
// 3.40.1): a checkpoint on one connection racing a commit that starts the WAL over on another
// can leave committed pages out of the database file for good. This class once checkpointed
// on a connection of its own, and CI once saw a reader miss a row the writer saw.
//
// watch() hooks the writer connection's commits in place of the automatic checkpoint. Once
// kStartPages of the WAL are not yet copied, a commit wakes this thread, which waits for the
// batch connection (GroupCommit::between_batches) and runs a PASSIVE checkpoint on it: the
// batch before it has committed and its members are answered; writes that come meanwhile wait
// and share the next batch. It copies every page no reader still needs, and the next write
// starts the WAL over when that was all of them.
class SqliteCheckpointer {
 public:
  static constexpr int kStartPages = 1000;

  // Runs a function on the writer connection with no write transaction open or running.
  using Exclusively = std::function<void(const std::function<void()>&)>;

  SqliteCheckpointer() = default;
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Hooks `writer`'s commits (sqlite3_wal_hook) and starts the thread, until this goes;
  // `writer` and what `exclusively` uses must outlive this.
  void watch(sqlite3* writer, Exclusively exclusively);

  CheckpointStats stats() const;

 private:
  static int committed(void* self, sqlite3* writer, const char* schema, int wal_pages);
  void run();

  sqlite3* writer_ = nullptr;
  Exclusively exclusively_;
  mutable std::mutex mutex_;
  std::condition_variable wanted_;
  bool due_ = false;      // this thread is asked to checkpoint
  int copied_pages_ = 0;  // of the WAL's pages, copied back by the last checkpoint
  bool stopping_ = false;
  CheckpointStats stats_;
  std::thread thread_;
};

}  // namespace callsight
