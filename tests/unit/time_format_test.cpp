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

}  // namespace
}  // namespace callsight
