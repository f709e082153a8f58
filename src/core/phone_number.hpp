#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace callsight {

// code is "invalid" (not a phone number at all) or "not_possible" (a number, but of a
// length no number of that country has); message reads well after "'phonenr': ".
struct PhoneNumberError {
  std::string code;
  std::string message;
};

// National ("0890510"), international ("0046890510") or E.164 ("+46890510") input, read
// with the partner's ISO country ("SE"), to E.164. Spaces, dashes, dots, slashes and
// parentheses are ignored; letters are refused.
std::variant<std::string, PhoneNumberError> normalize_phone_number(std::string_view input,
                                                                   std::string_view country);

// For resources that demand E.164 input (callbacks, blacklist, pincodes): the input must
// start with '+'; separators are still tolerated.
std::variant<std::string, PhoneNumberError> normalize_e164_only(std::string_view input);

// Strict syntax check: '+', a first digit 1-9, 6..15 digits in all, nothing else.
bool is_e164(std::string_view text);

// How the number's own country writes it ("+4681234567" -> "08-123 45 67"), for showing a
// number on a web page; the E.164 text itself when it cannot be read.
std::string format_national(std::string_view e164);

// The E.164 prefix of a national destination code: "8" or "08" with SE -> "+468".
// nullopt when ndc is not all digits, empty, or the country is unknown.
std::optional<std::string> e164_prefix_for_ndc(std::string_view ndc, std::string_view country);

}  // namespace callsight
