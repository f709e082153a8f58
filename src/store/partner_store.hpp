#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

// The partners part of the Store (see store.hpp), for the admin CLI and authentication. Every
// method is one transaction.
class PartnerStore {
 public:
  virtual ~PartnerStore() = default;

  // ConflictError("duplicate", "username").
  virtual Partner create_partner(const Partner& partner) = 0;
  virtual std::optional<Partner> find_partner(Id partner_id) = 0;
  virtual std::optional<Partner> find_partner_by_username(std::string_view username) = 0;
  virtual std::vector<Partner> list_partners() = 0;
  virtual void update_partner(const Partner& partner) = 0;  // NotFoundError
  // Refuses (ConflictError "has_customers") while the partner still has customers.
  virtual void remove_partner(Id partner_id) = 0;
};

}  // namespace callsight
