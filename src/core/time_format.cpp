#include "core/time_format.hpp"

#include <date/date.h>

#include <sstream>

namespace callsight {

std::string format_utc(TimePoint t) { return date::format("%Y-%m-%d %H:%M:%S", t); }

std::optional<TimePoint> parse_utc(std::string_view text) {
  const bool date_only = text.size() == 10;
  if (text.size() != 19 && !date_only) return std::nullopt;
  std::istringstream in{std::string(text)};
  TimePoint t;
  if (date_only) {
    date::sys_days day;
    in >> date::parse("%Y-%m-%d", day);
    if (in.fail()) return std::nullopt;
    t = TimePoint(day);
  } else {
    in >> date::parse("%Y-%m-%d %H:%M:%S", t);
    if (in.fail()) return std::nullopt;
  }
  // date::parse accepts some out-of-range fields leniently; a round trip rejects them.
  if (format_utc(t).substr(0, text.size()) != text) return std::nullopt;
  return t;
}

}  // namespace callsight
