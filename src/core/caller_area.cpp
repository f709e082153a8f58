#include "core/caller_area.hpp"

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumberutil.h>

#include <mutex>
#include <unordered_map>

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

std::string compute_caller_area_name(std::string_view e164) {
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

// Answers by whole number. Every CDR listing asks for each row's caller, partners poll the
// same recent pages, and one answer costs tens of microseconds of ICU regexes and geocoder
// lookups (bench/core_bench.cpp CallerAreaName) - most of a listing's time before this memo.
// Bounded: when full it starts over, which costs recomputation, never a wrong answer.
class Memo {
 public:
  std::string get(std::string_view e164) {
    std::string key(e164);
    {
      std::lock_guard lock(mutex_);
      if (const auto it = answers_.find(key); it != answers_.end()) return it->second;
    }
    auto answer = compute_caller_area_name(e164);
    std::lock_guard lock(mutex_);
    if (answers_.size() >= kCapacity) answers_.clear();
    answers_.emplace(std::move(key), answer);
    return answer;
  }

 private:
  static constexpr std::size_t kCapacity = 65536;
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> answers_;
};

}  // namespace

std::string caller_area_name(std::string_view e164) {
  static Memo memo;
  return memo.get(e164);
}

}  // namespace callsight
