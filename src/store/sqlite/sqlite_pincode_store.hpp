#pragma once

#include <mutex>

#include "core/clock.hpp"
#include "store/pincode_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace callsight {

// Its schema, applied as migration 8 (see migrations.cpp).
extern const char kPincodeSchemaSql[];

// Shares SqliteStore's connection and mutex: every method locks the mutex for its whole
// transaction, like SqliteStore's own methods.
class SqlitePincodeStore final : public PincodeStore {
 public:
  SqlitePincodeStore(SqliteConnection& db, std::mutex& mutex, const Clock& clock)
      : db_(db), mutex_(mutex), clock_(clock) {}

  Pincode create_pincode(Id partner_id, const Pincode& pincode, const PincodeDraw& draw) override;
  Page<Pincode> list_pincodes(Id partner_id, const PincodeFilter& filter,
                              PageRequest page) override;

 private:
  using Lock = std::lock_guard<std::mutex>;
  using Mode = SqliteTransaction::Mode;

  SqliteConnection& db_;
  std::mutex& mutex_;
  const Clock& clock_;
};

}  // namespace callsight
