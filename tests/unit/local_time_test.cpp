#include "core/local_time.hpp"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "core/time_format.hpp"

namespace callsight {
namespace {

TimePoint utc(std::string_view text) {
  const auto t = parse_utc(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

constexpr std::string_view kStockholm = "Europe/Stockholm";

TEST(LocalTime, TzHeadersAreConfiguredLikeDebiansLibdateTz) {
  // Debian builds libdate-tz with USE_OS_TZDB=1; headers without it lay out date::time_zone
  // and date::tzdb differently from the library (ODR violation, garbage zone lists).
  EXPECT_EQ(USE_OS_TZDB, 1)
      << "add target_compile_definitions(callsight_core PUBLIC USE_OS_TZDB=1)";
}

TEST(LocalTime, KnowsIanaZoneNames) {
  EXPECT_TRUE(is_known_time_zone("Europe/Stockholm"));
  EXPECT_TRUE(is_known_time_zone("America/New_York"));
  EXPECT_TRUE(is_known_time_zone("UTC"));
  EXPECT_FALSE(is_known_time_zone("Mars/Olympus"));
  EXPECT_FALSE(is_known_time_zone("europe/stockholm_x"));
  EXPECT_FALSE(is_known_time_zone(""));
}

TEST(LocalTime, WinterDayInStockholmEndsAt2300Utc) {
  EXPECT_EQ(format_utc(end_of_local_day(utc("2026-01-15 10:00:00"), kStockholm)),
            "2026-01-15 23:00:00");
  // 23:30 UTC is already the next local day.
  EXPECT_EQ(format_utc(end_of_local_day(utc("2026-01-15 23:30:00"), kStockholm)),
            "2026-01-16 23:00:00");
}

TEST(LocalTime, LocalMidnightStartsANewDay) {
  EXPECT_EQ(format_utc(end_of_local_day(utc("2026-01-15 22:59:59"), kStockholm)),
            "2026-01-15 23:00:00");
  EXPECT_EQ(format_utc(end_of_local_day(utc("2026-01-15 23:00:00"), kStockholm)),
            "2026-01-16 23:00:00");
}

TEST(LocalTime, SpringForwardDayHas23Hours) {
  const auto day_before_ends = end_of_local_day(utc("2026-03-28 12:00:00"), kStockholm);
  const auto dst_day_ends = end_of_local_day(utc("2026-03-29 12:00:00"), kStockholm);
  EXPECT_EQ(format_utc(day_before_ends), "2026-03-28 23:00:00");
  EXPECT_EQ(format_utc(dst_day_ends), "2026-03-29 22:00:00");
  EXPECT_EQ(dst_day_ends - day_before_ends, std::chrono::hours(23));
}

TEST(LocalTime, FallBackDayHas25Hours) {
  const auto day_before_ends = end_of_local_day(utc("2026-10-24 12:00:00"), kStockholm);
  const auto dst_day_ends = end_of_local_day(utc("2026-10-25 12:00:00"), kStockholm);
  EXPECT_EQ(format_utc(dst_day_ends), "2026-10-25 23:00:00");
  EXPECT_EQ(dst_day_ends - day_before_ends, std::chrono::hours(25));
}

TEST(LocalTime, DayEndsWhenClocksSkipMidnight) {
  // Chile moved clocks from 24:00 to 01:00 on 2022-09-11: local midnight never happened,
  // so 2022-09-10 ended at the jump (04:00 UTC).
  EXPECT_EQ(format_utc(end_of_local_day(utc("2022-09-10 12:00:00"), "America/Santiago")),
            "2022-09-11 04:00:00");
}

TEST(LocalTime, WeekdayAndMinuteFollowTheZoneAroundMidnight) {
  // Sunday 2026-01-18 23:30 UTC is Monday 00:30 in Stockholm.
  const auto t = utc("2026-01-18 23:30:00");
  const auto stockholm = local_moment(t, kStockholm);
  EXPECT_EQ(stockholm.weekday, 0);
  EXPECT_EQ(stockholm.minute_of_day, 30);
  const auto in_utc = local_moment(t, "UTC");
  EXPECT_EQ(in_utc.weekday, 6);
  EXPECT_EQ(in_utc.minute_of_day, 23 * 60 + 30);
}

TEST(LocalTime, MinuteOfDayUsesSummerOffset) {
  // Wednesday 2026-07-01 06:59:59 UTC is 08:59:59 CEST.
  const auto m = local_moment(utc("2026-07-01 06:59:59"), kStockholm);
  EXPECT_EQ(m.weekday, 2);
  EXPECT_EQ(m.minute_of_day, 8 * 60 + 59);
}

TEST(LocalTime, WallClockMarksAreTheInstantsTheClockShowsTheMinutes) {
  // 08:00 and 24:00 local on two winter days (UTC+1), after excluded and until included.
  EXPECT_EQ(wall_clock_marks(utc("2026-01-12 07:00:00"), utc("2026-01-13 07:00:00"),
                             {8 * 60, 24 * 60}, kStockholm),
            (std::vector<TimePoint>{utc("2026-01-12 23:00:00"), utc("2026-01-13 07:00:00")}));
}

TEST(LocalTime, WallClockMarksFollowDaylightSavingChanges) {
  // 29 March 2026 skips 02:00-03:00: 02:30 is passed when the clock jumps at 01:00 UTC.
  EXPECT_EQ(wall_clock_marks(utc("2026-03-28 23:00:00"), utc("2026-03-29 03:00:00"), {2 * 60 + 30},
                             kStockholm),
            (std::vector<TimePoint>{utc("2026-03-29 01:00:00")}));
  // 25 October 2026 repeats 02:00-03:00: 02:30 comes twice, the clock goes back between.
  EXPECT_EQ(wall_clock_marks(utc("2026-10-24 23:00:00"), utc("2026-10-25 03:00:00"), {2 * 60 + 30},
                             kStockholm),
            (std::vector<TimePoint>{utc("2026-10-25 00:30:00"), utc("2026-10-25 01:00:00"),
                                    utc("2026-10-25 01:30:00")}));
}

TEST(LocalTime, UnknownZoneThrowsInvalidArgument) {
  const auto t = utc("2026-01-15 10:00:00");
  EXPECT_THROW(end_of_local_day(t, "Mars/Olympus"), std::invalid_argument);
  EXPECT_THROW(local_moment(t, "Mars/Olympus"), std::invalid_argument);
  EXPECT_THROW(local_moment(t, ""), std::invalid_argument);
  EXPECT_THROW(wall_clock_marks(t, t + std::chrono::hours(1), {0}, "Mars/Olympus"),
               std::invalid_argument);
}

}  // namespace
}  // namespace callsight
