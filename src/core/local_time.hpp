#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace callsight {

// Time-zone names are IANA names ("Europe/Stockholm") read from the system tz database.
// Every function taking a zone throws std::invalid_argument for an unknown one.
bool is_known_time_zone(std::string_view name);

// The instant the local calendar day holding t ends (the next local midnight), so a day
// may last 23 or 25 hours. Expiry takes effect then (reference §2.10).
TimePoint end_of_local_day(TimePoint t, std::string_view time_zone);

// What a wall clock in the zone shows at t, as weekday rules need it.
struct LocalMoment {
  int weekday = 0;        // 0 = Monday ... 6 = Sunday
  int minute_of_day = 0;  // 0..1439
};

LocalMoment local_moment(TimePoint t, std::string_view time_zone);

// What a wall clock in the zone shows at t, with the zone's abbreviation:
// "2026-12-06 07:19:10 CET".
std::string format_local(TimePoint t, std::string_view time_zone);

// The instants in (after, until] at which the zone's wall clock reaches one of
// `minutes_of_day` (0..1440, 1440 being the next midnight) on any day, a minute that occurs
// twice in an autumn night counted twice, together with the instants its offset changes
// (DST), where the wall clock jumps over or back across minutes. Between two consecutive ones
// a rule on weekdays and those minutes keeps its answer. Sorted, without repeats.
std::vector<TimePoint> wall_clock_marks(TimePoint after, TimePoint until,
                                        const std::vector<int>& minutes_of_day,
                                        std::string_view time_zone);

}  // namespace callsight
