#pragma once

#include <mutex>

#include "core/clock.hpp"
#include "store/callback_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace callsight {

// Its schema, applied as migration 7 (see migrations.cpp).
extern const char kCallbackSchemaSql[];

// Shares SqliteStore's connection and mutex: every method locks the mutex for its whole
// transaction, like SqliteStore's own methods.
class SqliteCallbackStore final : public CallbackStore {
 public:
  SqliteCallbackStore(SqliteConnection& db, std::mutex& mutex, const Clock& clock)
      : db_(db), mutex_(mutex), clock_(clock) {}

 private:
  [[maybe_unused]] SqliteConnection& db_;
  [[maybe_unused]] std::mutex& mutex_;
  [[maybe_unused]] const Clock& clock_;
};

}  // namespace callsight
