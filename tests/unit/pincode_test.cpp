#include "core/pincode.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "core/time_format.hpp"

namespace callsight {
namespace {

bool all_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Hands out the given candidates in order.
PincodeDraw scripted(std::vector<std::string> candidates) {
  auto next = std::make_shared<std::size_t>(0);
  return [candidates = std::move(candidates), next] { return candidates.at((*next)++); };
}

TEST(Pincode, RandomPinHasExactlyTheAskedNumberOfDigits) {
  for (int length = kPincodeMinLength; length <= kPincodeMaxLength; ++length) {
    for (int i = 0; i < 200; ++i) {
      const auto pin = random_pincode(length);
      EXPECT_EQ(pin.size(), static_cast<std::size_t>(length));
      EXPECT_TRUE(all_digits(pin)) << pin;
    }
  }
}

TEST(Pincode, RandomPinsUseEveryDigitInEveryPositionAndDiffer) {
  std::set<std::string> seen;
  std::vector<std::set<char>> digits_at(6);
  for (int i = 0; i < 2000; ++i) {
    const auto pin = random_pincode(6);
    seen.insert(pin);
    for (std::size_t p = 0; p < pin.size(); ++p) digits_at[p].insert(pin[p]);
  }
  // 2000 draws from a million: a handful of repeats at most, unless the source is broken.
  EXPECT_GT(seen.size(), 1990u);
  for (const auto& digits : digits_at) EXPECT_EQ(digits.size(), 10u);  // leading zeros too
}

TEST(Pincode, DrawRetriesUntilACandidateIsFree) {
  const std::set<std::string> live = {"111111", "222222"};
  const auto pin = draw_free_pincode(scripted({"111111", "222222", "111111", "333333"}),
                                     [&](const std::string& c) { return live.count(c) > 0; });
  EXPECT_EQ(pin, "333333");
}

TEST(Pincode, DrawGivesUpAfterMaxDrawsCollisions) {
  int draws = 0;
  const auto pin = draw_free_pincode(
      [&] {
        ++draws;
        return std::string("123456");
      },
      [](const std::string&) { return true; });
  EXPECT_FALSE(pin);
  EXPECT_EQ(draws, kPincodeMaxDraws);
}

TEST(Pincode, TtlCountsWholeDaysFromCreation) {
  const auto created = parse_utc("2024-02-28 13:14:15").value();
  EXPECT_EQ(format_utc(pincode_expiry(created, 1)), "2024-02-29 13:14:15");
  EXPECT_EQ(format_utc(pincode_expiry(created, 14)), "2024-03-13 13:14:15");
}

}  // namespace
}  // namespace callsight
