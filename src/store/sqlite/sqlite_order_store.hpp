#pragma once

#include "store/order_store.hpp"
#include "store/sqlite/sqlite_sub_store.hpp"

namespace callsight {

// Its schema, applied as migration 6 (see migrations.cpp).
extern const char kOrderSchemaSql[];

class SqliteOrderStore final : public OrderStore, private SqliteSubStore {
 public:
  using SqliteSubStore::SqliteSubStore;

  Order create_order(Id partner_id, const Order& order) override;
  Page<Order> list_orders(Id partner_id, const OrderFilter& filter, PageRequest page) override;
};

}  // namespace callsight
