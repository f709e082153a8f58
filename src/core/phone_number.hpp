#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

// The tracking number a switch names by `dialled`: E.164 itself, or its digits without the
// '+' ("46850000100"), as carriers deliver it; nullopt when it is neither.
std::optional<std::string> dialled_tracking_number(std::string_view dialled);

// The other way round, for an edge's table of numbers: the texts without separators that
// dialled_tracking_number reads as `e164` ("+46850000100", "46850000100"). Empty when e164
// is no number.
std::vector<std::string> dialled_forms(std::string_view e164);

// The texts without separators in which a switch may deliver a caller that
// normalize_phone_number reads, with the partner's `country`, as `e164`: E.164, its digits
// without '+', the form dialled abroad from the country ("0046701234567" from SE) and, for a
// number of the country, the national forms ("0701234567", "701234567"). Only forms that
// read back as e164 are given, so an edge that strips separators and looks a caller up
// among them agrees with the live path. Empty when e164 is no number.
std::vector<std::string> caller_forms(std::string_view e164, std::string_view country);

// Strict syntax check: '+', a first digit 1-9, 6..15 digits in all, nothing else.
bool is_e164(std::string_view text);

// How the number's own country writes it ("+4681234567" -> "08-123 45 67"), for showing a
// number on a web page; the E.164 text itself when it cannot be read.
std::string format_national(std::string_view e164);

// The E.164 prefix of a national destination code: "8" or "08" with SE -> "+468".
// nullopt when ndc is not all digits, empty, or the country is unknown.
std::optional<std::string> e164_prefix_for_ndc(std::string_view ndc, std::string_view country);

}  // namespace callsight
