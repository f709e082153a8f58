#include "core/time_format.hpp"

#include <gtest/gtest.h>

namespace callsight {
namespace {

TEST(TimeFormat, RoundTripsWireTimestamps) {
  const auto t = parse_utc("2011-11-14 23:00:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_utc(*t), "2011-11-14 23:00:00");
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
