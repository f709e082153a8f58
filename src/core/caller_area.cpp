#include "core/caller_area.hpp"

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumberutil.h>

namespace callsight {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;
using i18n::phonenumbers::PhoneNumberUtil;

// Loads its prefix tables lazily; shared by all threads without a lock of ours because
// its const methods guard that cache with their own mutex (see mu_ in its header), and
// PhoneNumberUtil is an immutable singleton.
const PhoneNumberOfflineGeocoder& geocoder() {
  static const PhoneNumberOfflineGeocoder instance;
  return instance;
}

// The area code ("08", "031") or, for numbers without a geographic area, the national
// destination code ("070"), with the national prefix callers dial; "" when neither exists.
std::string national_code(const PhoneNumberUtil& util, const PhoneNumber& number) {
  int length = util.GetLengthOfGeographicalAreaCode(number);
  if (length == 0) length = util.GetLengthOfNationalDestinationCode(number);
  if (length <= 0) return {};
  std::string region;
  util.GetRegionCodeForNumber(number, &region);
  std::string prefix;
  util.GetNddPrefixForRegion(region, true, &prefix);
  std::string significant;
  util.GetNationalSignificantNumber(number, &significant);
  return prefix + significant.substr(0, static_cast<std::size_t>(length));
}

// The geocoder's area name; "" when it knows only the country. It names the country when
// it has no area, which the two-region call tells apart: for a user outside the number's
// region ("ZZ") it always gives the country.
std::string area_name(const PhoneNumber& number) {
  const auto& english = icu::Locale::getEnglish();
  std::string area = geocoder().GetDescriptionForValidNumber(number, english);
  if (area == geocoder().GetDescriptionForValidNumber(number, english, "ZZ")) return {};
  return area;
}

}  // namespace

std::string caller_area_name(std::string_view e164) {
  const auto& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  // Region "ZZ": only international input parses, a national number has no country here.
  if (util.Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsValidNumber(number)) {
    return {};
  }
  std::string code = national_code(util, number);
  if (code.empty()) return {};
  const std::string name = area_name(number);
  return name.empty() ? code : code + " " + name;
}

}  // namespace callsight
