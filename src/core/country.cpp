#include "core/country.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <string>

namespace callsight {

bool is_known_country(std::string_view country) {
  const auto* util = i18n::phonenumbers::PhoneNumberUtil::GetInstance();
  return util->GetCountryCodeForRegion(std::string(country)) != 0;
}

}  // namespace callsight
