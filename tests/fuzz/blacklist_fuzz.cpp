// The phonenrs parameter of a customer's blacklist: a JSON array of E.164 numbers.
#include <string>
#include <variant>

#include "core/blacklist.hpp"
#include "core/phone_number.hpp"
#include "fuzz_target.hpp"

CALLSIGHT_FUZZ_TARGET(blacklist) {
  using namespace callsight;
  const auto parsed = parse_blacklist(input);
  const auto* numbers = std::get_if<std::vector<std::string>>(&parsed);
  if (!numbers) return;
  // Routing compares callers with these entries as E.164 strings: each entry must read back
  // as itself, or a caller normalised from the same digits would never match it.
  for (const auto& number : *numbers) {
    const auto again = normalize_e164_only(number);
    if (!std::holds_alternative<std::string>(again) || std::get<std::string>(again) != number) {
      __builtin_trap();
    }
  }
}
