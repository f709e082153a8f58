#pragma once

#include "store/order_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlOrderStore final : public OrderStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  Order create_order(Id partner_id, const Order& order) override;
  Page<Order> list_orders(Id partner_id, const OrderFilter& filter, PageRequest page) override;
};

}  // namespace callsight
