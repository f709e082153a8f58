#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/source.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

struct AddNumbersResult {
  std::vector<std::string> added;
  std::vector<std::string> duplicates;  // already in the inventory; left as they were
};

// The tracking-number inventory part of the Store (see store.hpp), for the admin CLI and the
// partner's GET /numbers. Every method is one transaction.
class NumberStore {
 public:
  virtual ~NumberStore() = default;

  // A number's state is derived from the source holding it.
  // restricted_to_partner: only that partner's customers may be allocated the number.
  virtual AddNumbersResult add_numbers(const std::vector<std::string>& numbers,
                                       std::optional<Id> restricted_to_partner) = 0;
  // visible_to_partner: only numbers that partner could be allocated or already holds.
  virtual std::vector<InventoryNumber> list_numbers(std::optional<NumberState> state,
                                                    std::optional<Id> visible_to_partner) = 0;
  // NotFoundError when absent; ConflictError("allocated", "number") while a source holds it.
  virtual void remove_number(const std::string& number) = 0;
};

}  // namespace callsight
