#include "common/random.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <regex>
#include <set>

namespace callsight {
namespace {

TEST(Random, UuidIsVersion4) {
  const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(std::regex_match(random_uuid_v4(), uuid4));
}

// A customer's uuid: RFC 9562's version 7, whose first 48 bits are the Unix time in
// milliseconds, so uuids made later sort after the earlier ones and differ within a millisecond.
TEST(Random, TimeOrderedUuidIsVersion7InTheOrderMade) {
  using std::chrono::milliseconds;
  const std::regex uuid7("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::chrono::system_clock::time_point start(milliseconds(1'765'000'000'123));
  std::set<std::string> same_moment;
  for (int i = 0; i < 100; ++i) same_moment.insert(time_ordered_uuid(start));
  EXPECT_EQ(same_moment.size(), 100u);
  std::string previous;
  for (int i = 0; i < 100; ++i) {
    const auto uuid = time_ordered_uuid(start + milliseconds(i));
    EXPECT_TRUE(std::regex_match(uuid, uuid7)) << uuid;
    EXPECT_EQ(std::stoull(uuid.substr(0, 8) + uuid.substr(9, 4), nullptr, 16),
              1'765'000'000'123ull + i)
        << uuid;
    EXPECT_LT(previous, uuid);
    previous = uuid;
  }
}

TEST(Random, HexTokensHaveTheAskedLengthAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto token = random_hex(16);
    EXPECT_EQ(token.size(), 32u);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

// The session ids of number requests: hex like random_hex(16), in the order they were made
// (a millisecond apart or more), the time readable from the first 12 digits, and never equal
// when made in the same millisecond.
TEST(Random, TimeOrderedIdsSortByTimeAndDiffer) {
  using std::chrono::milliseconds;
  const std::chrono::system_clock::time_point start(milliseconds(1'765'000'000'123));
  std::set<std::string> same_moment;
  for (int i = 0; i < 100; ++i) same_moment.insert(time_ordered_hex_id(start));
  EXPECT_EQ(same_moment.size(), 100u);
  std::string previous;
  for (int i = 0; i < 100; ++i) {
    const auto id = time_ordered_hex_id(start + milliseconds(i));
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_EQ(std::stoull(id.substr(0, 12), nullptr, 16), 1'765'000'000'123ull + i) << id;
    EXPECT_LT(previous, id);
    previous = id;
  }
}

TEST(Random, DigitsHaveTheAskedLengthAndDiffer) {
  EXPECT_EQ(random_digits(0), "");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto digits = random_digits(20);
    EXPECT_EQ(digits.size(), 20u);
    EXPECT_EQ(digits.find_first_not_of("0123456789"), std::string::npos) << digits;
    seen.insert(digits);
  }
  EXPECT_EQ(seen.size(), 100u);
}

// Each digit once in ten. A byte taken modulo 10 without rejection would give 0-5 about
// 101,600 times and 6-9 about 97,700 times here; chance spreads them by about 300.
TEST(Random, DigitsAreUniform) {
  std::array<int, 10> counts{};
  for (const char digit : random_digits(1'000'000)) ++counts[digit - '0'];
  for (int digit = 0; digit < 10; ++digit) {
    EXPECT_NEAR(counts[digit], 100'000, 1'500) << digit;
  }
}

}  // namespace
}  // namespace callsight
