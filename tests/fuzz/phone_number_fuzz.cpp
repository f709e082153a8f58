// The phone-number normaliser wrapper around libphonenumber.
// Input: a country code on the first line (the partner's setting), the number after it.
#include <algorithm>
#include <string>
#include <variant>

#include "core/phone_number.hpp"
#include "fuzz_target.hpp"

namespace {

// '+', a first digit 1-9, at most 15 digits (ITU-T E.164).
bool e164_syntax(std::string_view text) {
  return text.size() >= 2 && text.size() <= 16 && text[0] == '+' && text[1] != '0' &&
         std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

CALLSIGHT_FUZZ_TARGET(phone_number) {
  using namespace callsight;
  const auto [country, number] = fuzz::split_line(input);
  const auto national = normalize_phone_number(number, country);
  const auto e164 = normalize_e164_only(number);
  is_e164(number);
  e164_prefix_for_ndc(number, country);
  // What the normaliser returns is stored and later compared as E.164 text: it must be
  // E.164 syntax and a fixed point of normalisation. Not is_e164(): that is the stricter check
  // of inventory numbers (6..15 digits), and possible local-only numbers such as +4903 are
  // shorter.
  for (const auto* result : {&national, &e164}) {
    const auto* normalised = std::get_if<std::string>(result);
    if (!normalised) continue;
    if (!e164_syntax(*normalised)) __builtin_trap();
    const auto again = normalize_e164_only(*normalised);
    if (!std::holds_alternative<std::string>(again) ||
        std::get<std::string>(again) != *normalised) {
      __builtin_trap();
    }
  }
}
