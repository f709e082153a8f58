#pragma once

#include <string_view>

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

}  // namespace callsight
