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

  Callback create_callback(Id partner_id, const Callback& callback) override;
  Page<Callback> list_callbacks(Id partner_id, const CallbackFilter& filter,
                                PageRequest page) override;
  std::vector<Callback> due_callbacks(TimePoint now, int limit) override;
  void complete_callback(Id callback_id, std::optional<Id> cdr_id) override;

 private:
  using Lock = std::lock_guard<std::mutex>;
  using Mode = SqliteTransaction::Mode;

  SqliteConnection& db_;
  std::mutex& mutex_;
  const Clock& clock_;
};

}  // namespace callsight
