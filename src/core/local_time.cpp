#include "core/local_time.hpp"

#include <date/tz.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace callsight {
namespace {

const date::time_zone& zone(std::string_view name) {
  // locate_zone reports an unknown name with std::runtime_error; callers validate zones
  // at the edge, so one reaching here is a programming error in the caller's terms.
  try {
    return *date::locate_zone(name);
  } catch (const std::runtime_error&) {
    throw std::invalid_argument("unknown time zone '" + std::string(name) + "'");
  }
}

}  // namespace

bool is_known_time_zone(std::string_view name) {
  if (name.empty()) return false;
  try {
    date::locate_zone(name);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

TimePoint end_of_local_day(TimePoint t, std::string_view time_zone) {
  const auto& z = zone(time_zone);
  const auto local_day = date::floor<date::days>(z.to_local(t));
  const date::local_seconds next_midnight{local_day + date::days{1}};
  // Where a DST jump skips midnight the day ends when the clock reaches the next day;
  // choose::earliest maps a nonexistent or repeated local midnight to that instant.
  return z.to_sys(next_midnight, date::choose::earliest);
}

std::string format_local(TimePoint t, std::string_view time_zone) {
  return date::format("%Y-%m-%d %H:%M:%S %Z", date::make_zoned(&zone(time_zone), t));
}

LocalMoment local_moment(TimePoint t, std::string_view time_zone) {
  const auto local = zone(time_zone).to_local(t);
  const auto day = date::floor<date::days>(local);
  const auto minutes = date::floor<std::chrono::minutes>(local - day);
  // iso_encoding: Monday 1 ... Sunday 7.
  const auto iso_weekday = date::weekday{day}.iso_encoding();
  return {static_cast<int>(iso_weekday) - 1, static_cast<int>(minutes.count())};
}

std::vector<TimePoint> wall_clock_marks(TimePoint after, TimePoint until,
                                        const std::vector<int>& minutes_of_day,
                                        std::string_view time_zone) {
  const auto& z = zone(time_zone);
  std::vector<TimePoint> marks;
  const auto keep = [&](TimePoint t) {
    if (t > after && t <= until) marks.push_back(t);
  };
  // A day more on each side: an offset moves a local day's minutes across the range's ends.
  const auto first_day = date::floor<date::days>(z.to_local(after)) - date::days{1};
  const auto last_day = date::floor<date::days>(z.to_local(until)) + date::days{1};
  for (auto day = first_day; day <= last_day; day += date::days{1}) {
    for (const int minute : minutes_of_day) {
      const date::local_seconds local{day + std::chrono::minutes{minute}};
      // A repeated minute happens twice; a skipped one maps to the jump over it.
      keep(z.to_sys(local, date::choose::earliest));
      keep(z.to_sys(local, date::choose::latest));
    }
  }
  for (auto info = z.get_info(after); info.end <= until; info = z.get_info(info.end)) {
    keep(info.end);
  }
  std::sort(marks.begin(), marks.end());
  marks.erase(std::unique(marks.begin(), marks.end()), marks.end());
  return marks;
}

}  // namespace callsight
