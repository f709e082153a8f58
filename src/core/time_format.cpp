#include "core/time_format.hpp"

#include <date/date.h>

#include <sstream>

namespace callsight {

std::string format_utc(TimePoint t) {
  std::string out;
  append_utc(out, t);
  return out;
}

void append_utc(std::string& out, TimePoint t) {
  char text[kUtcLength];
  if (write_utc(text, t)) {
    out.append(text, kUtcLength);
  } else {
    out += date::format("%Y-%m-%d %H:%M:%S", t);
  }
}

bool write_utc(char* out, TimePoint t) {
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  // date::format goes through an ostringstream, and a CDR listing formats four instants a
  // row; the fixed layout is written directly for every year it holds, the same bytes.
  if (year < 0 || year > 9999) return false;
  const date::hh_mm_ss time{t - day};
  // Digit by digit: snprintf's format parsing was a tenth of a 1000-row listing (perf).
  const auto put = [out](std::size_t at, unsigned value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, static_cast<unsigned>(year), 4);
  out[4] = '-';
  put(5, static_cast<unsigned>(ymd.month()), 2);
  out[7] = '-';
  put(8, static_cast<unsigned>(ymd.day()), 2);
  out[10] = ' ';
  put(11, static_cast<unsigned>(time.hours().count()), 2);
  out[13] = ':';
  put(14, static_cast<unsigned>(time.minutes().count()), 2);
  out[16] = ':';
  put(17, static_cast<unsigned>(time.seconds().count()), 2);
  return true;
}

namespace {

// Digits where "YYYY-MM-DD HH:MM:SS" has them, the separators elsewhere. date::parse reads a
// non-number as seconds into NaN and converts that to an integer (undefined behaviour), so
// nothing else may reach it.
bool has_wire_shape(std::string_view text) {
  constexpr std::string_view kShape = "dddd-dd-dd dd:dd:dd";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<TimePoint> parse_utc(std::string_view text) {
  const bool date_only = text.size() == 10;
  if ((text.size() != 19 && !date_only) || !has_wire_shape(text)) return std::nullopt;
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
