#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/partner_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlPartnerStore final : public PartnerStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  Partner create_partner(const Partner& partner) override;
  std::optional<Partner> find_partner(Id partner_id) override;
  std::optional<Partner> find_partner_by_username(std::string_view username) override;
  std::vector<Partner> list_partners() override;
  void update_partner(const Partner& partner) override;
  void remove_partner(Id partner_id) override;

 private:
  // The helpers below run inside a transaction their caller holds.
  std::optional<Partner> partner_where(const std::string& sql,
                                       const std::function<void(SqlStatement&)>& bind);
  void write_cidrs(Id partner_id, const std::vector<std::string>& cidrs);
  void check_username_free(const std::string& username, Id except_partner);
};

}  // namespace callsight
