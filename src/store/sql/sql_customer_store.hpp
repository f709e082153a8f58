#pragma once

#include <optional>

#include "store/customer_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlCustomerStore final : public CustomerStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  Customer create_customer(const Customer& customer) override;
  void create_customer_then(const Customer& customer, Later<Customer> created) override;
  std::optional<Customer> find_customer(Id partner_id, Id customer_id) override;
  Page<Customer> list_customers(Id partner_id, const CustomerFilter& filter,
                                PageRequest page) override;
  Customer update_customer(const Customer& customer) override;
  std::optional<Customer> change_customer(Id partner_id, Id customer_id,
                                          const Change<Customer>& change) override;
  Customer delete_customer(Id partner_id, Id customer_id) override;

 private:
  // The helpers below run inside a transaction their caller holds.
  std::optional<Customer> find_customer_locked(Id partner_id, Id customer_id);
  void check_custnr_free(const Customer& customer);
  // Inserts `customer` as a new one, setting its id and times.
  void insert_customer(Customer& customer);
};

}  // namespace callsight
