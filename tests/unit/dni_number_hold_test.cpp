#include <gtest/gtest.h>

#include "core/dni/number_hold.hpp"
#include "dni_test_support.hpp"

namespace callsight::dni {
namespace {

using test_support::at;
using test_support::handed_out;

TEST(DniNumberHold, DefaultsAreThirtyTenAndFiveMinutes) {
  const PoolTiming timing;
  EXPECT_EQ(timing.lease, std::chrono::minutes(30));
  EXPECT_EQ(timing.grace, std::chrono::minutes(10));
  EXPECT_EQ(timing.cooldown, std::chrono::minutes(5));
}

TEST(DniNumberHold, PassesThroughLeaseGraceAndCooldownAfterTheLastSignOfLife) {
  const PoolTiming timing;
  const auto a = handed_out("S", "2026-01-01 10:00:00", "2026-01-01 10:10:00");
  EXPECT_EQ(hold_at(a, timing, at("2026-01-01 10:39:59")).state, HoldState::leased);
  EXPECT_EQ(hold_at(a, timing, at("2026-01-01 10:40:00")).state, HoldState::grace);
  EXPECT_EQ(hold_at(a, timing, at("2026-01-01 10:49:59")).state, HoldState::grace);
  EXPECT_EQ(hold_at(a, timing, at("2026-01-01 10:50:00")).state, HoldState::cooldown);
  EXPECT_EQ(hold_at(a, timing, at("2026-01-01 10:54:59")).state, HoldState::cooldown);
  const auto free = hold_at(a, timing, at("2026-01-01 10:55:00"));
  EXPECT_EQ(free.state, HoldState::free);
  EXPECT_TRUE(free.assignable);
  EXPECT_EQ(free.lease_ends, at("2026-01-01 10:40:00"));
  EXPECT_EQ(free.grace_ends, at("2026-01-01 10:50:00"));
  EXPECT_EQ(free.free_at, at("2026-01-01 10:55:00"));
  EXPECT_EQ(free_at(a, timing), at("2026-01-01 10:55:00"));
}

TEST(DniNumberHold, OnlyAFreeNumberMayGoToAnotherSession) {
  const PoolTiming timing;
  const auto a = handed_out("S", "2026-01-01 10:00:00", "2026-01-01 10:00:00");
  for (const char* t : {"2026-01-01 10:00:00", "2026-01-01 10:35:00", "2026-01-01 10:44:59"}) {
    EXPECT_FALSE(hold_at(a, timing, at(t)).assignable) << t;
  }
  EXPECT_TRUE(hold_at(a, timing, at("2026-01-01 10:45:00")).assignable);
}

TEST(DniNumberHold, AnEarlyReleaseEndsTheLeaseThen) {
  PoolTiming timing;
  timing.grace = std::chrono::minutes(1);
  timing.cooldown = std::chrono::minutes(2);
  auto a = handed_out("S", "2026-01-01 10:00:00", "2026-01-01 10:05:00");
  a.released_at = at("2026-01-01 10:06:00");
  const auto hold = hold_at(a, timing, at("2026-01-01 10:06:30"));
  EXPECT_EQ(hold.state, HoldState::grace);
  EXPECT_EQ(hold.free_at, at("2026-01-01 10:09:00"));
}

TEST(DniNumberHold, AHeartbeatExtendsOnlyARunningLease) {
  const PoolTiming timing;
  auto a = handed_out("S", "2026-01-01 10:00:00", "2026-01-01 10:00:00");
  EXPECT_TRUE(accept_heartbeat(a, timing, at("2026-01-01 10:29:00")));
  EXPECT_EQ(a.last_seen_at, at("2026-01-01 10:29:00"));
  EXPECT_EQ(hold_at(a, timing, at("2026-01-01 10:58:59")).state, HoldState::leased);
  // The lease ended at 10:59: a heartbeat in grace does not bring it back.
  EXPECT_FALSE(accept_heartbeat(a, timing, at("2026-01-01 11:00:00")));
  EXPECT_EQ(a.last_seen_at, at("2026-01-01 10:29:00"));
  EXPECT_EQ(hold_at(a, timing, at("2026-01-01 11:00:00")).state, HoldState::grace);
}

TEST(DniNumberHold, ALateHeartbeatNeverMovesTheLastSignOfLifeBack) {
  const PoolTiming timing;
  auto a = handed_out("S", "2026-01-01 10:00:00", "2026-01-01 10:20:00");
  EXPECT_TRUE(accept_heartbeat(a, timing, at("2026-01-01 10:10:00")));
  EXPECT_EQ(a.last_seen_at, at("2026-01-01 10:20:00"));
}

}  // namespace
}  // namespace callsight::dni
