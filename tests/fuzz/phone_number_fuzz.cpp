// The phone-number normaliser wrapper around libphonenumber.
// Input: a country code on the first line (the partner's setting), the number after it.
#include <string>
#include <variant>

#include "core/phone_number.hpp"
#include "fuzz_target.hpp"

CALLSIGHT_FUZZ_TARGET(phone_number) {
  using namespace callsight;
  const auto [country, number] = fuzz::split_line(input);
  const auto national = normalize_phone_number(number, country);
  const auto e164 = normalize_e164_only(number);
  is_e164(number);
  e164_prefix_for_ndc(number, country);
  // What the normaliser returns is stored and later compared as E.164: it must be E.164 and
  // a fixed point of normalisation.
  for (const auto* result : {&national, &e164}) {
    const auto* normalised = std::get_if<std::string>(result);
    if (!normalised) continue;
    if (!is_e164(*normalised)) __builtin_trap();
    const auto again = normalize_e164_only(*normalised);
    if (!std::holds_alternative<std::string>(again) ||
        std::get<std::string>(again) != *normalised) {
      __builtin_trap();
    }
  }
}
