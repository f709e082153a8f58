#pragma once

#include <optional>
#include <string>

#include "store/sql/sql_sub_store.hpp"
#include "store/user_store.hpp"

namespace callsight {

class SqlUserStore final : public UserStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  User create_user(Id partner_id, const User& user) override;
  std::optional<User> find_user(Id partner_id, Id user_id) override;
  Page<User> list_users(Id partner_id, const UserFilter& filter, PageRequest page) override;
  User update_user(Id partner_id, const User& user) override;
  std::optional<User> change_user(Id partner_id, Id user_id, const Change<User>& change) override;
  User delete_user(Id partner_id, Id user_id) override;

 private:
  // The helpers below run inside a transaction their caller holds.
  std::optional<User> find_user_locked(Id partner_id, Id user_id);
  void check_email_free(const std::string& email, Id except_user);
};

}  // namespace callsight
