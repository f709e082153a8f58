#include "core/time_format.hpp"

#include <date/date.h>
#include <gtest/gtest.h>

namespace callsight {
namespace {

TEST(TimeFormat, RoundTripsWireTimestamps) {
  const auto t = parse_utc("2011-11-14 23:00:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_utc(*t), "2011-11-14 23:00:00");
}

// format_utc writes the layout itself for speed; it must match date::format to the byte,
// across leap days, the epoch and the ends of the four-digit years.
TEST(TimeFormat, FormatsLikeDateFormatAtEveryKindOfInstant) {
  const auto check = [](TimePoint t) {
    EXPECT_EQ(format_utc(t), date::format("%Y-%m-%d %H:%M:%S", t)) << t.time_since_epoch().count();
  };
  for (const char* text : {"0000-01-01 00:00:00", "1969-12-31 23:59:59", "1970-01-01 00:00:00",
                           "2024-02-29 23:59:59", "9999-12-31 23:59:59"}) {
    check(parse_utc(text).value());
  }
  for (std::int64_t s = -86400LL * 365 * 3; s < 86400LL * 365 * 60; s += 7919 * 13) {
    check(TimePoint(std::chrono::seconds(s)));
  }
  check(parse_utc("9999-12-31 23:59:59").value() + std::chrono::seconds(1));
  check(parse_utc("0000-01-01 00:00:00").value() - std::chrono::seconds(1));
}

TEST(TimeFormat, DateAloneMeansMidnightUtc) {
  const auto t = parse_utc("2024-02-29");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_utc(*t), "2024-02-29 00:00:00");
}

TEST(TimeFormat, RejectsMalformedAndImpossibleDates) {
  EXPECT_FALSE(parse_utc("2023-02-29 00:00:00").has_value());
  EXPECT_FALSE(parse_utc("2023-13-01 00:00:00").has_value());
  EXPECT_FALSE(parse_utc("2023-01-01 25:00:00").has_value());
  EXPECT_FALSE(parse_utc("yesterday").has_value());
  EXPECT_FALSE(parse_utc("").has_value());
}

// Found by fuzzing (tests/fuzz/regressions/time_format): date::parse turned the seconds "H9"
// into NaN and converted it to an integer; the sanitizer build reports that.
TEST(TimeFormat, RejectsNonDigitFieldsBeforeParsing) {
  EXPECT_FALSE(parse_utc("2024-01-31 23:59:H9").has_value());
  EXPECT_FALSE(parse_utc("2024-01-31 23:59:.5").has_value());
  EXPECT_FALSE(parse_utc("2024-01-31 23:59:5.").has_value());
  EXPECT_FALSE(parse_utc("2024-01-31T23:59:59").has_value());
  EXPECT_FALSE(parse_utc("+2024-01-31 23:59:5").has_value());
  EXPECT_FALSE(parse_utc("2024/01/31").has_value());
}

}  // namespace
}  // namespace callsight
