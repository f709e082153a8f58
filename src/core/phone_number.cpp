#include "core/phone_number.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace callsight {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMaxE164Digits = 15;  // ITU-T E.164, country code included

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_separator(char c) {
  return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')';
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

PhoneNumberError invalid(std::string message) { return {"invalid", std::move(message)}; }
PhoneNumberError not_possible(std::string message) { return {"not_possible", std::move(message)}; }

// libphonenumber turns vanity letters into digits ("1-800-FLOWERS") and skips "ext."
// suffixes; an answering number must be exactly the digits given, so only digits,
// separators and one leading '+' get through.
std::optional<PhoneNumberError> check_characters(std::string_view text) {
  if (text.empty()) return invalid("must not be empty");
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); })) {
    return invalid("must not contain letters");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_digit(c) || is_separator(c) || (c == '+' && i == 0)) continue;
    return invalid("may contain only digits, a leading '+', spaces, '-', '.', '/' and parentheses");
  }
  if (std::none_of(text.begin(), text.end(), is_digit)) return invalid("must contain digits");
  return std::nullopt;
}

std::variant<std::string, PhoneNumberError> parse(std::string_view text, std::string_view country) {
  if (auto error = check_characters(text)) return *error;
  const auto* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  switch (util->Parse(std::string(text), std::string(country), &number)) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return invalid(text.front() == '+' ? "has an unknown country calling code"
                                         : "cannot be read as a national number without a known "
                                           "country; use E.164 ('+' and country code)");
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return not_possible("is too short to be a phone number");
    case PhoneNumberUtil::TOO_LONG_NSN:
      return not_possible("is too long to be a phone number");
    default:
      return invalid("is not a phone number");
  }
  // Possible, not valid: libphonenumber's metadata calls the seed's 0890510 (SE) invalid,
  // yet Freespee accepted it (DESIGN.md).
  switch (util->IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::IS_POSSIBLE:
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return invalid("has an unknown country calling code");
    case PhoneNumberUtil::TOO_SHORT:
      return not_possible("is too short for a phone number of its country");
    case PhoneNumberUtil::TOO_LONG:
      return not_possible("is too long for a phone number of its country");
    default:
      return not_possible("has a length no phone number of its country has");
  }
  std::string e164;
  util->Format(number, PhoneNumberUtil::E164, &e164);
  // German metadata allows 14-digit national numbers, more than E.164's 15 digits in all.
  if (e164.size() > kMaxE164Digits + 1) return not_possible("is too long to be a phone number");
  // Numbers are compared as E.164 strings (blacklists, routing), so only a result that reads
  // back as itself is a number. Where the country strips a national prefix, reading the result
  // again can strip more: "00046890510" in SE gives +460046890510, which reads as +46046890510,
  // and "+55 09049030004" gives +559049030004, which reads as +5549030004 (90 a Brazilian
  // carrier code). Input already equal to the result reads back as itself by definition, so
  // the E.164 numbers of calls and requests pay for one parse only.
  if (e164 != text) {
    PhoneNumber again;
    std::string e164_again;
    if (util->Parse(e164, "ZZ", &again) != PhoneNumberUtil::NO_PARSING_ERROR) {
      return invalid("is not a phone number");
    }
    util->Format(again, PhoneNumberUtil::E164, &e164_again);
    if (e164_again != e164) return invalid("is not a phone number");
  }
  return e164;
}

}  // namespace

std::variant<std::string, PhoneNumberError> normalize_phone_number(std::string_view input,
                                                                   std::string_view country) {
  return parse(trim(input), country);
}

std::variant<std::string, PhoneNumberError> normalize_e164_only(std::string_view input) {
  const auto text = trim(input);
  if (text.empty()) return invalid("must not be empty");
  if (text.front() != '+') return invalid("must be in E.164 form: '+', country code, number");
  // "ZZ" is libphonenumber's unknown region: only the '+' form can be read with it.
  return parse(text, "ZZ");
}

bool is_e164(std::string_view text) {
  if (text.size() < 7 || text.size() > 16 || text[0] != '+' || text[1] == '0') return false;
  return std::all_of(text.begin() + 1, text.end(), is_digit);
}

std::optional<std::string> e164_prefix_for_ndc(std::string_view ndc, std::string_view country) {
  if (ndc.empty() || !std::all_of(ndc.begin(), ndc.end(), is_digit)) return std::nullopt;
  const auto* util = PhoneNumberUtil::GetInstance();
  const std::string region(country);
  const int calling_code = util->GetCountryCodeForRegion(region);
  if (calling_code == 0) return std::nullopt;
  std::string national_prefix;
  util->GetNddPrefixForRegion(region, true, &national_prefix);
  if (!national_prefix.empty() && ndc.starts_with(national_prefix)) {
    ndc.remove_prefix(national_prefix.size());
  }
  if (ndc.empty()) return std::nullopt;
  return "+" + std::to_string(calling_code) + std::string(ndc);
}

std::optional<std::string> dialled_tracking_number(std::string_view dialled) {
  if (auto e164 = normalize_e164_only(dialled); auto* number = std::get_if<std::string>(&e164)) {
    return std::move(*number);
  }
  auto with_plus = normalize_e164_only("+" + std::string(dialled));
  if (auto* number = std::get_if<std::string>(&with_plus)) return std::move(*number);
  return std::nullopt;
}

namespace {

// Forms in their order, without repeats, each kept when `reads_as` says it reads as e164.
template <typename ReadsAs>
std::vector<std::string> forms_reading_as(std::string_view e164,
                                          const std::vector<std::string>& candidates,
                                          ReadsAs reads_as) {
  std::vector<std::string> forms;
  for (const auto& candidate : candidates) {
    if (std::find(forms.begin(), forms.end(), candidate) != forms.end()) continue;
    if (reads_as(candidate) == e164) forms.push_back(candidate);
  }
  return forms;
}

std::string digits_and_plus(std::string_view text) {
  std::string kept;
  for (const char c : text) {
    if (is_digit(c) || (c == '+' && kept.empty())) kept += c;
  }
  return kept;
}

// The prefix the region dials abroad with ("00" in SE, "011" in US). libphonenumber has no
// getter for it, so a number of another country is formatted as dialled from the region
// ("00 44 ..."); nullopt where the region has no single prefix and the format starts "+".
std::optional<std::string> international_prefix(const std::string& region) {
  const auto* util = PhoneNumberUtil::GetInstance();
  const int home = util->GetCountryCodeForRegion(region);
  PhoneNumber abroad;
  if (home == 0 || !util->GetExampleNumber(home == 44 ? "SE" : "GB", &abroad)) {
    return std::nullopt;
  }
  std::string dialled;
  util->FormatOutOfCountryCallingNumber(abroad, region, &dialled);
  const auto space = dialled.find(' ');
  if (dialled.empty() || dialled.front() == '+' || space == std::string::npos) {
    return std::nullopt;
  }
  return dialled.substr(0, space);
}

}  // namespace

std::vector<std::string> dialled_forms(std::string_view e164) {
  if (!is_e164(e164)) return {};
  return forms_reading_as(e164, {std::string(e164), std::string(e164.substr(1))},
                          [](const std::string& form) {
                            return dialled_tracking_number(form).value_or(std::string());
                          });
}

std::vector<std::string> caller_forms(std::string_view e164, std::string_view country) {
  const auto* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (!is_e164(e164) ||
      util->Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return {};
  }
  const std::string region(country);
  const auto calling_code = std::to_string(number.country_code());
  std::string significant;
  util->GetNationalSignificantNumber(number, &significant);
  std::string national_prefix;
  util->GetNddPrefixForRegion(region, true, &national_prefix);
  std::string national;
  util->Format(number, PhoneNumberUtil::NATIONAL, &national);
  std::string from_country;
  util->FormatOutOfCountryCallingNumber(number, region, &from_country);

  std::vector<std::string> candidates = {std::string(e164), calling_code + significant};
  if (const auto prefix = international_prefix(region)) {
    candidates.push_back(*prefix + calling_code + significant);
  }
  candidates.push_back(digits_and_plus(from_country));
  candidates.push_back(digits_and_plus(national));
  candidates.push_back(national_prefix + significant);
  candidates.push_back(significant);
  return forms_reading_as(e164, candidates, [&](const std::string& form) {
    auto read = normalize_phone_number(form, country);
    auto* normalised = std::get_if<std::string>(&read);
    return normalised ? std::move(*normalised) : std::string();
  });
}

namespace {

std::string format_with_libphonenumber(std::string_view e164) {
  const auto* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util->Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::string(e164);
  }
  std::string national;
  util->Format(number, PhoneNumberUtil::NATIONAL, &national);
  return national;
}

// The few numbers of a site's pools are formatted on every page view, and libphonenumber
// parses with regular expressions (tens of microseconds, a tenth of a number request);
// bounded so arbitrary input cannot grow it without end.
constexpr std::size_t kMaxFormattedRemembered = 4096;

}  // namespace

std::string format_national(std::string_view e164) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::string> formatted;
  std::string key(e164);
  {
    const std::lock_guard lock(mutex);
    if (const auto it = formatted.find(key); it != formatted.end()) return it->second;
  }
  auto national = format_with_libphonenumber(e164);
  const std::lock_guard lock(mutex);
  if (formatted.size() >= kMaxFormattedRemembered) formatted.clear();
  formatted.emplace(std::move(key), national);
  return national;
}

}  // namespace callsight
