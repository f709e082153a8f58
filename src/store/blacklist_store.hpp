#pragma once

#include <string>
#include <vector>

#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

// The blacklists part of the Store (see store.hpp). Every method is one transaction; the
// API methods reach only the given partner's customers.
class BlacklistStore {
 public:
  virtual ~BlacklistStore() = default;

  // The customer's blacklisted numbers (E.164) in the order they were given.
  // NotFoundError when the customer is not the partner's.
  virtual std::vector<std::string> blacklist(Id partner_id, Id customer_id) = 0;
  // Replaces the whole list with `numbers` (E.164) atomically and returns it as stored:
  // duplicates collapse to their first occurrence; an empty vector clears the list. NotFoundError
  // when the customer is not the partner's.
  virtual std::vector<std::string> replace_blacklist(Id partner_id, Id customer_id,
                                                     const std::vector<std::string>& numbers) = 0;
  // For call routing, which knows the customer from the dialled tracking number and has no
  // partner at hand: whether caller_number (E.164) may not get through to the customer.
  // Not for the API: it does not check who asks. An unknown customer has no blacklist.
  virtual bool is_blacklisted(Id customer_id, const std::string& caller_number) = 0;
};

}  // namespace callsight
