#pragma once

#include <string>
#include <vector>

#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight::app {

struct PartnerSpec {
  std::string name;
  std::string username;
  std::string password;
  std::vector<std::string> allowed_cidrs;
  std::string country;
  std::string timezone;
  int quarantine_days = 60;
};

// Checks every field (throws std::invalid_argument naming it) and stores only hashes of
// the password.
Partner add_partner(Store& store, const PartnerSpec& spec);
void validate_partner(const Partner& partner);  // throws std::invalid_argument
void set_password(Partner& partner, const std::string& password);
std::vector<std::string> parse_cidr_list(const std::string& comma_separated);

// "+46810000000-+46810000099" expands to 100 numbers; a single number stays one.
// Throws std::invalid_argument for anything that is not E.164 or a sane range.
std::vector<std::string> expand_number_ranges(const std::vector<std::string>& arguments);

}  // namespace callsight::app
