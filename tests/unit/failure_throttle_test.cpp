#include "common/failure_throttle.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace callsight {
namespace {

using std::chrono::seconds;

class FailureThrottleTest : public ::testing::Test {
 protected:
  void fail(FailureThrottle& throttle, const std::string& key, int times) {
    for (int i = 0; i < times; ++i) throttle.record_failure(key, now_);
  }

  std::chrono::sys_seconds now_{seconds(1'700'000'000)};
};

TEST_F(FailureThrottleTest, BlocksAfterTheLimitUntilTheWindowEnds) {
  FailureThrottle throttle(3, seconds(60));
  fail(throttle, "10.0.0.1", 2);
  EXPECT_FALSE(throttle.blocked_for("10.0.0.1", now_));
  now_ += seconds(20);
  fail(throttle, "10.0.0.1", 1);
  EXPECT_EQ(throttle.blocked_for("10.0.0.1", now_), seconds(40));
  now_ += seconds(39);
  EXPECT_EQ(throttle.blocked_for("10.0.0.1", now_), seconds(1));
  now_ += seconds(1);
  EXPECT_FALSE(throttle.blocked_for("10.0.0.1", now_));
}

TEST_F(FailureThrottleTest, FailuresInAnEndedWindowDoNotCount) {
  FailureThrottle throttle(3, seconds(60));
  fail(throttle, "10.0.0.1", 2);
  now_ += seconds(60);
  fail(throttle, "10.0.0.1", 2);
  EXPECT_FALSE(throttle.blocked_for("10.0.0.1", now_));
  fail(throttle, "10.0.0.1", 1);
  EXPECT_EQ(throttle.blocked_for("10.0.0.1", now_), seconds(60));
}

TEST_F(FailureThrottleTest, FailuresWhileBlockedDoNotProlongTheBlock) {
  FailureThrottle throttle(2, seconds(10));
  fail(throttle, "10.0.0.1", 2);
  now_ += seconds(5);
  fail(throttle, "10.0.0.1", 50);
  EXPECT_EQ(throttle.blocked_for("10.0.0.1", now_), seconds(5));
}

TEST_F(FailureThrottleTest, KeysAreCountedApart) {
  FailureThrottle throttle(2, seconds(60));
  fail(throttle, "10.0.0.1", 2);
  fail(throttle, "10.0.0.2", 1);
  EXPECT_TRUE(throttle.blocked_for("10.0.0.1", now_));
  EXPECT_FALSE(throttle.blocked_for("10.0.0.2", now_));
}

TEST_F(FailureThrottleTest, ForgetsEndedWindows) {
  FailureThrottle throttle(2, seconds(60));
  for (int i = 0; i < 100; ++i) fail(throttle, "10.0.1." + std::to_string(i), 1);
  EXPECT_EQ(throttle.tracked_keys(), 100u);
  now_ += seconds(60);
  EXPECT_FALSE(throttle.blocked_for("10.0.0.1", now_));
  EXPECT_EQ(throttle.tracked_keys(), 0u);
}

TEST_F(FailureThrottleTest, NeverHoldsMoreThanMaxKeys) {
  FailureThrottle throttle(1, seconds(60), 10);
  for (int i = 0; i < 1000; ++i) fail(throttle, "10.0." + std::to_string(i), 1);
  EXPECT_EQ(throttle.tracked_keys(), 10u);
  EXPECT_TRUE(throttle.blocked_for("10.0.999", now_));
}

TEST_F(FailureThrottleTest, RejectsNonsenseLimits) {
  EXPECT_THROW(FailureThrottle(0, seconds(60)), std::invalid_argument);
  EXPECT_THROW(FailureThrottle(5, seconds(0)), std::invalid_argument);
}

}  // namespace
}  // namespace callsight
