#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.hpp"

struct sqlite3;

namespace callsight {

// Copies an SQLite database's WAL back into its file mostly on a thread of its own. SQLite's
// automatic checkpoint runs inside the commit that grows the WAL past 1,000 pages, on the
// committing connection: for the group commit's writer that is a copy and an fsync of the
// database file (3 ms median, up to 15, measured under POST /customers) in the middle of a
// batch, with every write queued behind it waiting (docs/storage.md, "Checkpoints").
//
// watch() hooks the writer connection's commits in place of the automatic checkpoint:
// - Once kStartPages of the WAL are not yet copied, a commit wakes this thread, which runs a
//   PASSIVE checkpoint on a connection of its own: it waits for neither the writer nor a
//   reader, and copies every frame no reader still needs.
// - The WAL starts over only when a write begins with every frame copied, and the writer
//   went on committing meanwhile. So the first commit after that checkpoint copies the few
//   frames committed since, itself: a short checkpoint instead of the whole one (about
//   1.5 ms against 7, measured).
// - Past kCommitterPages (readers kept the WAL from starting over) every commit checkpoints,
//   as SQLite's own would, so the WAL stays bounded.
class SqliteCheckpointer {
 public:
  static constexpr int kStartPages = 1000;
  static constexpr int kCommitterPages = 8000;

  explicit SqliteCheckpointer(const std::string& path);
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Hooks `writer`'s commits (sqlite3_wal_hook) until this goes; `writer` must outlive this,
  // and commit nothing while this goes.
  void watch(sqlite3* writer);

  CheckpointStats stats() const;

 private:
  enum class ByCommitter { none, finishing, bounding };
  static int committed(void* self, sqlite3* writer, const char* schema, int wal_pages);
  ByCommitter after_commit(int wal_pages);
  void run();

  sqlite3* db_ = nullptr;       // this thread's own connection
  sqlite3* watched_ = nullptr;  // the writer connection hooked
  mutable std::mutex mutex_;
  std::condition_variable wanted_;
  bool due_ = false;      // this thread is asked to checkpoint
  bool running_ = false;  // this thread is checkpointing
  bool finish_ = false;   // the next commit copies what was committed during its checkpoint
  int copied_pages_ = 0;  // of the WAL's pages, copied back by the last checkpoint
  bool stopping_ = false;
  CheckpointStats stats_;
  std::thread thread_;
};

}  // namespace callsight
