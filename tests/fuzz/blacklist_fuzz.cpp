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
  // Routing compares callers with these entries as E.164 strings.
  for (const auto& number : *numbers) {
    if (!is_e164(number)) __builtin_trap();
  }
}
