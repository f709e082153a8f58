#include "common/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace callsight {
namespace {

using std::chrono::seconds;

class RateLimiterTest : public ::testing::Test {
 protected:
  int accepted(RateLimiter& limiter, std::int64_t key, int attempts) const {
    int ok = 0;
    for (int i = 0; i < attempts; ++i) ok += limiter.acquire(key, now_) ? 0 : 1;
    return ok;
  }

  std::chrono::sys_seconds now_{seconds(1'700'000'000)};
};

TEST_F(RateLimiterTest, AllowsTheBurstAtOnceAndRefusesTheNext) {
  RateLimiter limiter(5, 10);
  EXPECT_EQ(accepted(limiter, 1, 10), 10);
  EXPECT_EQ(limiter.acquire(1, now_), seconds(1));
}

TEST_F(RateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  RateLimiter limiter(5, 10);
  accepted(limiter, 1, 10);
  now_ += seconds(1);
  EXPECT_EQ(accepted(limiter, 1, 20), 5);
  now_ += seconds(100);
  EXPECT_EQ(accepted(limiter, 1, 20), 10);
}

TEST_F(RateLimiterTest, RetryAfterIsTheWaitForOneTokenRoundedUp) {
  RateLimiter limiter(0.25, 1);  // one request per 4 s
  EXPECT_FALSE(limiter.acquire(1, now_));
  EXPECT_EQ(limiter.acquire(1, now_), seconds(4));
  now_ += seconds(1);
  EXPECT_EQ(limiter.acquire(1, now_), seconds(3));
  now_ += seconds(3);
  EXPECT_FALSE(limiter.acquire(1, now_));
}

TEST_F(RateLimiterTest, RefusedRequestsDoNotSpendTokens) {
  RateLimiter limiter(1, 2);
  accepted(limiter, 1, 2);
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(limiter.acquire(1, now_));
  now_ += seconds(1);
  EXPECT_FALSE(limiter.acquire(1, now_));
}

TEST_F(RateLimiterTest, KeysHaveTheirOwnBuckets) {
  RateLimiter limiter(1, 3);
  EXPECT_EQ(accepted(limiter, 1, 5), 3);
  EXPECT_EQ(accepted(limiter, 2, 5), 3);
}

TEST_F(RateLimiterTest, ForgetsBucketsThatAreFullAgain) {
  RateLimiter limiter(10, 20);  // an empty bucket is full after 2 s
  for (std::int64_t key = 1; key <= 100; ++key) limiter.acquire(key, now_);
  EXPECT_EQ(limiter.tracked_keys(), 100u);
  now_ += seconds(1);
  limiter.acquire(500, now_);
  EXPECT_EQ(limiter.tracked_keys(), 101u);
  now_ += seconds(1);
  limiter.acquire(500, now_);
  EXPECT_EQ(limiter.tracked_keys(), 1u);
}

TEST_F(RateLimiterTest, NeverHoldsMoreThanMaxKeys) {
  RateLimiter limiter(1, 1, 3);
  for (std::int64_t key = 1; key <= 1000; ++key) limiter.acquire(key, now_);
  EXPECT_EQ(limiter.tracked_keys(), 3u);
  // The most recent keys are the ones kept.
  EXPECT_TRUE(limiter.acquire(1000, now_));
}

TEST_F(RateLimiterTest, RejectsNonsenseLimits) {
  EXPECT_THROW(RateLimiter(0, 10), std::invalid_argument);
  EXPECT_THROW(RateLimiter(5, 0.5), std::invalid_argument);
}

}  // namespace
}  // namespace callsight
