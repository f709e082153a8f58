#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/number_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlNumberStore final : public NumberStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  AddNumbersResult add_numbers(const std::vector<std::string>& numbers,
                               std::optional<Id> restricted_to_partner) override;
  std::vector<InventoryNumber> list_numbers(std::optional<NumberState> state,
                                            std::optional<Id> visible_to_partner) override;
  void remove_number(const std::string& number) override;
};

}  // namespace callsight
