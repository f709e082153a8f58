#pragma once

#include <mutex>

#include "core/clock.hpp"
#include "store/blacklist_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace callsight {

// Its schema, applied as migration 5 (see migrations.cpp).
extern const char kBlacklistSchemaSql[];

// Shares SqliteStore's connection and mutex: every method locks the mutex for its whole
// transaction, like SqliteStore's own methods.
class SqliteBlacklistStore final : public BlacklistStore {
 public:
  SqliteBlacklistStore(SqliteConnection& db, std::mutex& mutex, const Clock& clock)
      : db_(db), mutex_(mutex), clock_(clock) {}

  std::vector<std::string> blacklist(Id partner_id, Id customer_id) override;
  std::vector<std::string> replace_blacklist(Id partner_id, Id customer_id,
                                             const std::vector<std::string>& numbers) override;
  bool is_blacklisted(Id customer_id, const std::string& caller_number) override;

 private:
  using Lock = std::lock_guard<std::mutex>;
  using Mode = SqliteTransaction::Mode;

  void require_customer(Id partner_id, Id customer_id);
  std::vector<std::string> numbers_of(Id customer_id);

  SqliteConnection& db_;
  std::mutex& mutex_;
  // Kept for the constructor every sub-store shares; the blacklist records no times.
  [[maybe_unused]] const Clock& clock_;
};

}  // namespace callsight
