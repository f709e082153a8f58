#pragma once

#include <optional>

#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

struct UserFilter {
  std::optional<Id> user_id;
  std::optional<Id> customer_id;
};

// The users part of the Store (see store.hpp). Every method is one transaction; users are
// reachable through their customer's partner. Email is unique platform-wide (it is a login):
// ConflictError("duplicate", "email").
class UserStore {
 public:
  virtual ~UserStore() = default;

  virtual User create_user(Id partner_id, const User& user) = 0;  // NotFoundError: customer
  virtual std::optional<User> find_user(Id partner_id, Id user_id) = 0;
  virtual Page<User> list_users(Id partner_id, const UserFilter& filter, PageRequest page) = 0;
  virtual User update_user(Id partner_id, const User& user) = 0;  // NotFoundError
  // nullopt when the user is not the partner's; customer_id never changes. ConflictError as
  // create_user.
  virtual std::optional<User> change_user(Id partner_id, Id user_id,
                                          const Change<User>& change) = 0;
  virtual User delete_user(Id partner_id, Id user_id) = 0;  // NotFoundError
};

}  // namespace callsight
