// The alt_numbers parameter of sources: JSON rules, their rendering, and routing with them.
#include <string>
#include <variant>

#include "core/alt_number_rules.hpp"
#include "core/time_format.hpp"
#include "fuzz_target.hpp"

CALLSIGHT_FUZZ_TARGET(alt_numbers) {
  using namespace callsight;
  const auto parsed = parse_alt_number_rules(input, "SE");
  const auto* rules = std::get_if<std::vector<AltNumberRule>>(&parsed);
  if (!rules) return;
  // What the API renders, a client echoes back: it must read as the same rules.
  const auto rendered = render_alt_number_rules(*rules).dump();
  const auto again = parse_alt_number_rules(rendered, "SE");
  const auto* reread = std::get_if<std::vector<AltNumberRule>>(&again);
  if (!reread || render_alt_number_rules(*reread).dump() != rendered) __builtin_trap();
  // Monday noon UTC and the first Sunday of summer time in Stockholm.
  for (const char* moment : {"2024-01-15 12:00:00", "2024-03-31 01:30:00"}) {
    answering_target_at("+46890510", *rules, parse_utc(moment).value(), "Europe/Stockholm");
  }
}
