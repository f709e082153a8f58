#pragma once

#include <optional>
#include <string>

#include "core/order.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

struct OrderFilter {
  std::optional<Id> customer_id;
  std::optional<std::string> custnr;
  std::optional<std::string> order_id;
};

// The orders part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class OrderStore {
 public:
  virtual ~OrderStore() = default;

  // Stores `order` and fills id, custnr and created (the store clock's now).
  // NotFoundError when the customer is not the partner's; ConflictError("duplicate",
  // "order_id") when the customer already has an order with this order_id.
  virtual Order create_order(Id partner_id, const Order& order) = 0;
  // The partner's orders across its customers, oldest first.
  virtual Page<Order> list_orders(Id partner_id, const OrderFilter& filter, PageRequest page) = 0;
};

}  // namespace callsight
