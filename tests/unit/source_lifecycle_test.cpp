#include "core/source_lifecycle.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace callsight
