// Times given as parameters (timestamp, expire, statistics ranges) and time zone names (the
// partner's timezone setting).
// Input: a time on the first line, a time zone name after it.
#include <string>

#include "core/local_time.hpp"
#include "core/time_format.hpp"
#include "fuzz_target.hpp"

CALLSIGHT_FUZZ_TARGET(time_format) {
  using namespace callsight;
  const auto [text, zone] = fuzz::split_line(input);
  const auto time = parse_utc(text);
  // A time that parsed is stored and rendered back: the rendering must parse to it again.
  if (time && parse_utc(format_utc(*time)) != time) __builtin_trap();
  if (!is_known_time_zone(zone)) return;
  const auto at = time.value_or(parse_utc("2024-01-15 12:00:00").value());
  local_moment(at, zone);
  end_of_local_day(at, zone);
}
