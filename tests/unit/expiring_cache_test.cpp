#include "common/expiring_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace callsight {
namespace {

using Instant = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

const Instant kStart{std::chrono::hours(1)};

TEST(ExpiringCache, AnswersUntilTheGivenInstantAndNotAfter) {
  ExpiringCache<std::string, Instant> cache(10);
  cache.put("acme", std::make_shared<const std::string>("row"), kStart + milliseconds(500), kStart);
  ASSERT_NE(cache.find("acme", kStart + milliseconds(499)), nullptr);
  EXPECT_EQ(*cache.find("acme", kStart + milliseconds(499)), "row");
  EXPECT_EQ(cache.find("acme", kStart + milliseconds(500)), nullptr);
  EXPECT_EQ(cache.find("other", kStart), nullptr);
}

TEST(ExpiringCache, APutReplacesAndAnEraseForgets) {
  ExpiringCache<std::string, Instant> cache(10);
  cache.put("acme", std::make_shared<const std::string>("old"), kStart + milliseconds(500), kStart);
  cache.put("acme", std::make_shared<const std::string>("new"), kStart + milliseconds(500), kStart);
  EXPECT_EQ(*cache.find("acme", kStart), "new");
  cache.erase("acme");
  EXPECT_EQ(cache.find("acme", kStart), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ExpiringCache, NeverHoldsMoreThanItsCapacity) {
  ExpiringCache<int, Instant> cache(3);
  for (int i = 0; i < 3; ++i) {
    cache.put(std::to_string(i), std::make_shared<const int>(i), kStart + milliseconds(10 + i),
              kStart);
  }
  // Full: the expired entries make room first.
  cache.put("late", std::make_shared<const int>(9), kStart + milliseconds(100),
            kStart + milliseconds(11));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.find("2", kStart + milliseconds(11)), nullptr);
  // Full of live entries: all of them go.
  cache.put("x", std::make_shared<const int>(1), kStart + milliseconds(100), kStart);
  cache.put("y", std::make_shared<const int>(2), kStart + milliseconds(100), kStart);
  EXPECT_LE(cache.size(), 3u);
  EXPECT_NE(cache.find("y", kStart), nullptr);
}

}  // namespace
}  // namespace callsight
