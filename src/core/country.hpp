#pragma once

#include <string_view>

namespace callsight {

// An ISO 3166 alpha-2 region libphonenumber has numbering metadata for ("SE", "DE").
bool is_known_country(std::string_view country);

}  // namespace callsight
