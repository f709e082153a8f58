#pragma once

#include <mutex>

#include "core/clock.hpp"
#include "store/order_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace callsight {

// Its schema, applied as migration 6 (see migrations.cpp).
extern const char kOrderSchemaSql[];

// Shares SqliteStore's connection and mutex: every method locks the mutex for its whole
// transaction, like SqliteStore's own methods.
class SqliteOrderStore final : public OrderStore {
 public:
  SqliteOrderStore(SqliteConnection& db, std::mutex& mutex, const Clock& clock)
      : db_(db), mutex_(mutex), clock_(clock) {}

  Order create_order(Id partner_id, const Order& order) override;
  Page<Order> list_orders(Id partner_id, const OrderFilter& filter, PageRequest page) override;

 private:
  using Lock = std::lock_guard<std::mutex>;
  using Mode = SqliteTransaction::Mode;

  SqliteConnection& db_;
  std::mutex& mutex_;
  const Clock& clock_;
};

}  // namespace callsight
