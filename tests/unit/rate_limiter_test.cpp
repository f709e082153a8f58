#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace callsight {
namespace {

using std::chrono::seconds;

class RateLimiterTest : public ::testing::Test {
 protected:
  ManualClock clock_{TimePoint(seconds(1'700'000'000))};
};

int accepted(RateLimiter& limiter, Id key, int attempts) {
  int ok = 0;
  for (int i = 0; i < attempts; ++i) ok += limiter.acquire(key) ? 0 : 1;
  return ok;
}

TEST_F(RateLimiterTest, AllowsTheBurstAtOnceAndRefusesTheNext) {
  RateLimiter limiter(clock_, 5, 10);
  EXPECT_EQ(accepted(limiter, 1, 10), 10);
  EXPECT_EQ(limiter.acquire(1), seconds(1));
}

TEST_F(RateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  RateLimiter limiter(clock_, 5, 10);
  accepted(limiter, 1, 10);
  clock_.advance(seconds(1));
  EXPECT_EQ(accepted(limiter, 1, 20), 5);
  clock_.advance(seconds(100));
  EXPECT_EQ(accepted(limiter, 1, 20), 10);
}

TEST_F(RateLimiterTest, RetryAfterIsTheWaitForOneTokenRoundedUp) {
  RateLimiter limiter(clock_, 0.25, 1);  // one request per 4 s
  EXPECT_FALSE(limiter.acquire(1));
  EXPECT_EQ(limiter.acquire(1), seconds(4));
  clock_.advance(seconds(1));
  EXPECT_EQ(limiter.acquire(1), seconds(3));
  clock_.advance(seconds(3));
  EXPECT_FALSE(limiter.acquire(1));
}

TEST_F(RateLimiterTest, RefusedRequestsDoNotSpendTokens) {
  RateLimiter limiter(clock_, 1, 2);
  accepted(limiter, 1, 2);
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(limiter.acquire(1));
  clock_.advance(seconds(1));
  EXPECT_FALSE(limiter.acquire(1));
}

TEST_F(RateLimiterTest, KeysHaveTheirOwnBuckets) {
  RateLimiter limiter(clock_, 1, 3);
  EXPECT_EQ(accepted(limiter, 1, 5), 3);
  EXPECT_EQ(accepted(limiter, 2, 5), 3);
}

TEST_F(RateLimiterTest, ForgetsBucketsThatAreFullAgain) {
  RateLimiter limiter(clock_, 10, 20);  // an empty bucket is full after 2 s
  for (Id key = 1; key <= 100; ++key) limiter.acquire(key);
  EXPECT_EQ(limiter.tracked_keys(), 100u);
  clock_.advance(seconds(1));
  limiter.acquire(500);
  EXPECT_EQ(limiter.tracked_keys(), 101u);
  clock_.advance(seconds(1));
  limiter.acquire(500);
  EXPECT_EQ(limiter.tracked_keys(), 1u);
}

TEST_F(RateLimiterTest, NeverHoldsMoreThanMaxKeys) {
  RateLimiter limiter(clock_, 1, 1, 3);
  for (Id key = 1; key <= 1000; ++key) limiter.acquire(key);
  EXPECT_EQ(limiter.tracked_keys(), 3u);
  // The most recent keys are the ones kept.
  EXPECT_TRUE(limiter.acquire(1000));
}

TEST_F(RateLimiterTest, RejectsNonsenseLimits) {
  EXPECT_THROW(RateLimiter(clock_, 0, 10), std::invalid_argument);
  EXPECT_THROW(RateLimiter(clock_, 5, 0.5), std::invalid_argument);
}

}  // namespace
}  // namespace callsight
