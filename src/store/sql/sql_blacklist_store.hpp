#pragma once

#include "store/blacklist_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlBlacklistStore final : public BlacklistStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  std::vector<std::string> blacklist(Id partner_id, Id customer_id) override;
  std::vector<std::string> replace_blacklist(Id partner_id, Id customer_id,
                                             const std::vector<std::string>& numbers) override;
  bool is_blacklisted(Id customer_id, const std::string& caller_number) override;

 private:
  std::vector<std::string> numbers_of(Id customer_id);
};

}  // namespace callsight
