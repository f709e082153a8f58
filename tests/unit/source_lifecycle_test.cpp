#include "core/source_lifecycle.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/time_format.hpp"

namespace callsight {
namespace {

using std::chrono::days;

TimePoint at(const char* text) { return *parse_utc(text); }

constexpr int kQuarantineDays = 60;

TEST(SourceLifecycle, WithoutActivationDateIsActiveAtOnce) {
  SourceLifecycle l{at("2026-01-01 12:00:00")};
  EXPECT_EQ(derive_status(l, at("2026-01-01 12:00:00"), kQuarantineDays), SourceStatus::active);
}

TEST(SourceLifecycle, FutureActivationIsUpcomingUntilItPasses) {
  SourceLifecycle l{at("2026-02-01 00:00:00")};
  EXPECT_EQ(derive_status(l, at("2026-01-31 23:59:59"), kQuarantineDays), SourceStatus::upcoming);
  EXPECT_EQ(derive_status(l, at("2026-02-01 00:00:00"), kQuarantineDays), SourceStatus::active);
}

TEST(SourceLifecycle, ReservedUntilActivatedOrReleased) {
  SourceLifecycle l{at("2026-01-01 00:00:00")};
  l.reserved_until = at("2026-01-02 00:00:00");
  EXPECT_EQ(derive_status(l, at("2026-01-01 23:00:00"), kQuarantineDays), SourceStatus::reserved);
  EXPECT_EQ(derive_status(l, at("2026-01-02 00:00:00"), kQuarantineDays), SourceStatus::archived);
}

TEST(SourceLifecycle, DeletedSourceIsQuarantinedForThePartnersPeriodThenArchived) {
  SourceLifecycle l{at("2026-01-01 00:00:00")};
  l.deleted_at = at("2026-03-01 10:00:00");
  const auto end = *l.deleted_at + days(kQuarantineDays);
  EXPECT_EQ(derive_status(l, at("2026-03-01 09:59:59"), kQuarantineDays), SourceStatus::active);
  EXPECT_EQ(derive_status(l, at("2026-03-01 10:00:00"), kQuarantineDays),
            SourceStatus::quarantined);
  EXPECT_EQ(derive_status(l, end - std::chrono::seconds(1), kQuarantineDays),
            SourceStatus::quarantined);
  EXPECT_EQ(derive_status(l, end, kQuarantineDays), SourceStatus::archived);
  EXPECT_EQ(derive_status(l, end, 90), SourceStatus::quarantined);
}

TEST(SourceLifecycle, ExpiryQuarantinesFromTheEndOfTheExpiryDay) {
  SourceLifecycle l{at("2026-01-01 00:00:00")};
  l.expire = at("2026-06-10 00:00:00");
  l.expires_at = at("2026-06-10 22:00:00");  // end of 10 June in Europe/Stockholm (UTC+2)
  EXPECT_EQ(derive_status(l, at("2026-06-10 21:59:59"), kQuarantineDays), SourceStatus::active);
  EXPECT_EQ(derive_status(l, at("2026-06-10 22:00:00"), kQuarantineDays),
            SourceStatus::quarantined);
}

TEST(SourceLifecycle, EarlierOfDeletionAndExpiryStartsTheQuarantine) {
  SourceLifecycle l{at("2026-01-01 00:00:00")};
  l.expires_at = at("2026-05-01 00:00:00");
  l.deleted_at = at("2026-04-01 00:00:00");
  EXPECT_EQ(quarantine_start(l), at("2026-04-01 00:00:00"));
  EXPECT_EQ(derive_status(l, at("2026-05-31 00:00:00"), kQuarantineDays), SourceStatus::archived);
}

TEST(SourceLifecycle, ArchivedByTheSweepStaysArchived) {
  SourceLifecycle l{at("2026-01-01 00:00:00")};
  l.archived_at = at("2026-01-05 00:00:00");
  EXPECT_EQ(derive_status(l, at("2026-01-01 00:00:00"), kQuarantineDays), SourceStatus::archived);
}

TEST(SourceStatusNames, RoundTrip) {
  for (auto s : {SourceStatus::reserved, SourceStatus::upcoming, SourceStatus::active,
                 SourceStatus::quarantined, SourceStatus::archived}) {
    EXPECT_EQ(parse_source_status(to_string(s)), s);
  }
  EXPECT_FALSE(parse_source_status("extended").has_value());
}

// The transitions, driven by a manual clock: each is allowed only from the statuses
// docs/api.md lists, changes nothing when refused, and names the status it started from.
class SourceLifecycleTransitions : public ::testing::Test {
 protected:
  SourceLifecycleTransitions() : clock_(at("2026-03-01 12:00:00")) {
    lifecycle_.activation = at("2026-01-01 00:00:00");
  }

  SourceStatus status() const { return derive_status(lifecycle_, clock_.now(), kQuarantineDays); }

  // Deleted now, then the clock moved past the quarantine: archived.
  void archive() {
    lifecycle_.deleted_at = clock_.now();
    clock_.advance(days(kQuarantineDays));
    ASSERT_EQ(status(), SourceStatus::archived);
  }

  ManualClock clock_;
  SourceLifecycle lifecycle_;
};

TEST_F(SourceLifecycleTransitions, AnArchivedSourceMayNoLongerChange) {
  EXPECT_TRUE(may_change(lifecycle_, clock_.now(), kQuarantineDays).allowed);
  archive();
  const auto refused = may_change(lifecycle_, clock_.now(), kQuarantineDays);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.from, SourceStatus::archived);
}

TEST_F(SourceLifecycleTransitions, ActivateEndsAReservationAndLeavesActiveOnesAlone) {
  lifecycle_.reserved_until = clock_.now() + days(1);
  ASSERT_EQ(status(), SourceStatus::reserved);
  const auto activated = activate(lifecycle_, clock_.now(), kQuarantineDays);
  EXPECT_TRUE(activated.allowed);
  EXPECT_EQ(activated.from, SourceStatus::reserved);
  EXPECT_EQ(status(), SourceStatus::active);
  const auto before = lifecycle_;
  EXPECT_TRUE(activate(lifecycle_, clock_.now(), kQuarantineDays).allowed);
  EXPECT_EQ(lifecycle_.activation, before.activation);
  EXPECT_FALSE(lifecycle_.reserved_until);
}

TEST_F(SourceLifecycleTransitions, ActivateIsRefusedForAQuarantinedSource) {
  lifecycle_.deleted_at = clock_.now();
  const auto refused = activate(lifecycle_, clock_.now(), kQuarantineDays);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.from, SourceStatus::quarantined);
  EXPECT_EQ(status(), SourceStatus::quarantined);
}

TEST_F(SourceLifecycleTransitions, QuarantineStartsNowOnceAndIsRefusedWhenArchived) {
  const auto deleted = quarantine(lifecycle_, clock_.now(), kQuarantineDays);
  EXPECT_TRUE(deleted.allowed);
  EXPECT_EQ(deleted.from, SourceStatus::active);
  EXPECT_EQ(lifecycle_.deleted_at, clock_.now());
  // Deleting again later keeps the first deletion: the quarantine does not restart.
  const auto first = clock_.now();
  clock_.advance(days(1));
  const auto again = quarantine(lifecycle_, clock_.now(), kQuarantineDays);
  EXPECT_TRUE(again.allowed);
  EXPECT_EQ(again.from, SourceStatus::quarantined);
  EXPECT_EQ(lifecycle_.deleted_at, first);
  clock_.advance(days(kQuarantineDays));
  const auto refused = quarantine(lifecycle_, clock_.now(), kQuarantineDays);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.from, SourceStatus::archived);
}

TEST_F(SourceLifecycleTransitions, ReactivateBringsBackOnlyAQuarantinedSource) {
  const auto refused = reactivate(lifecycle_, clock_.now(), kQuarantineDays);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.from, SourceStatus::active);
  // Quarantined by an expiry that has passed: the expiry goes, the source is active again.
  lifecycle_.expire = at("2026-02-28 00:00:00");
  lifecycle_.expires_at = at("2026-02-28 23:00:00");
  ASSERT_EQ(status(), SourceStatus::quarantined);
  EXPECT_TRUE(reactivate(lifecycle_, clock_.now(), kQuarantineDays).allowed);
  EXPECT_FALSE(lifecycle_.expire);
  EXPECT_FALSE(lifecycle_.expires_at);
  EXPECT_EQ(status(), SourceStatus::active);
}

TEST_F(SourceLifecycleTransitions, ReactivateMovesAFutureActivationToNowAndKeepsAFutureExpiry) {
  lifecycle_.activation = clock_.now() + days(5);
  lifecycle_.expires_at = clock_.now() + days(30);
  lifecycle_.deleted_at = clock_.now();
  EXPECT_TRUE(reactivate(lifecycle_, clock_.now(), kQuarantineDays).allowed);
  EXPECT_EQ(lifecycle_.activation, clock_.now());
  EXPECT_EQ(lifecycle_.expires_at, clock_.now() + days(30));
  EXPECT_FALSE(lifecycle_.deleted_at);
}

TEST_F(SourceLifecycleTransitions, ExtendMovesTheExpiryForwardAndEndsAQuarantine) {
  lifecycle_.deleted_at = clock_.now();
  const auto ends = clock_.now() + days(10);
  const auto extended =
      extend(lifecycle_, ends - std::chrono::hours(1), ends, clock_.now(), kQuarantineDays);
  EXPECT_EQ(extended.result, Extension::extended);
  EXPECT_EQ(extended.from, SourceStatus::quarantined);
  EXPECT_EQ(lifecycle_.expires_at, ends);
  EXPECT_FALSE(lifecycle_.deleted_at);
  EXPECT_EQ(status(), SourceStatus::active);
}

TEST_F(SourceLifecycleTransitions, ExtendRefusesAnEarlierEndAndAnArchivedSource) {
  lifecycle_.expires_at = clock_.now() + days(10);
  const auto before = lifecycle_;
  const auto earlier = clock_.now() + days(9);
  EXPECT_EQ(extend(lifecycle_, earlier, earlier, clock_.now(), kQuarantineDays).result,
            Extension::not_later);
  EXPECT_EQ(lifecycle_.expires_at, before.expires_at);
  archive();
  const auto later = clock_.now() + days(100);
  const auto refused = extend(lifecycle_, later, later, clock_.now(), kQuarantineDays);
  EXPECT_EQ(refused.result, Extension::not_extendable);
  EXPECT_EQ(refused.from, SourceStatus::archived);
}

}  // namespace
}  // namespace callsight
