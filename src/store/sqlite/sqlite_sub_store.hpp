#pragma once

#include <mutex>

#include "core/clock.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace callsight {

// What the SQLite store of each resource family shares with SqliteStore: the connection,
// the mutex every method holds for its whole transaction, and the clock.
class SqliteSubStore {
 public:
  SqliteSubStore(SqliteConnection& db, std::mutex& mutex, const Clock& clock)
      : db_(db), mutex_(mutex), clock_(clock) {}

 protected:
  using Lock = std::lock_guard<std::mutex>;
  using Mode = SqliteTransaction::Mode;

  SqliteConnection& db_;
  std::mutex& mutex_;
  const Clock& clock_;
};

}  // namespace callsight
