#pragma once

#include <optional>
#include <string>

#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

struct CustomerFilter {
  std::optional<Id> customer_id;
  std::optional<std::string> custnr;
};

// The customers part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects.
class CustomerStore {
 public:
  virtual ~CustomerStore() = default;

  // create/update throw ConflictError("duplicate", "custnr").
  virtual Customer create_customer(const Customer& customer) = 0;
  // create_customer without waiting for the commit (store.hpp, Later).
  virtual void create_customer_then(const Customer& customer, Later<Customer> created) {
    answer_now<Customer>([&] { return create_customer(customer); }, created);
  }
  virtual std::optional<Customer> find_customer(Id partner_id, Id customer_id) = 0;
  virtual Page<Customer> list_customers(Id partner_id, const CustomerFilter& filter,
                                        PageRequest page) = 0;
  virtual Customer update_customer(const Customer& customer) = 0;  // NotFoundError
  // nullopt when the customer is not the partner's; ConflictError as update_customer.
  virtual std::optional<Customer> change_customer(Id partner_id, Id customer_id,
                                                  const Change<Customer>& change) = 0;
  // Deletes the customer and its users. Refuses with ConflictError("has_live_sources",
  // "customer_id") while the customer has sources that are not archived.
  virtual Customer delete_customer(Id partner_id, Id customer_id) = 0;
};

}  // namespace callsight
