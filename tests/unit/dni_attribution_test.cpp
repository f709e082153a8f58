#include <gtest/gtest.h>

#include "core/dni/attribution.hpp"
#include "dni_test_support.hpp"

namespace callsight::dni {
namespace {

using test_support::at;
using test_support::handed_out;
using test_support::kDefaultTiming;

TEST(DniAttribution, ACallDuringTheLeaseNamesTheSessionAndSaysWhy) {
  const std::vector<Assignment> history{
      handed_out("old", "2026-01-01 08:00:00", "2026-01-01 08:10:00"),
      handed_out("S", "2026-01-01 10:02:00", "2026-01-01 10:15:00")};
  const auto called = at("2026-01-01 10:16:00");
  const auto verdict = attribute_call(history, kDefaultTiming, called);
  ASSERT_TRUE(verdict.matched.has_value());
  EXPECT_EQ(verdict.matched->session_id, "S");
  EXPECT_EQ(verdict.state, HoldState::leased);
  EXPECT_FALSE(verdict.ambiguous);
  EXPECT_FALSE(verdict.no_visit.has_value());
  EXPECT_EQ(explain(verdict, kDefaultTiming, called),
            "held by session S since 2026-01-01 10:02:00, last heartbeat 2026-01-01 10:15:00, "
            "called 2026-01-01 10:16:00 (lease)");
}

TEST(DniAttribution, ACallInTheGraceStillNamesTheSession) {
  const std::vector<Assignment> history{
      handed_out("S", "2026-01-01 10:02:00", "2026-01-01 10:15:00")};
  const auto called = at("2026-01-01 10:50:00");
  const auto verdict = attribute_call(history, kDefaultTiming, called);
  ASSERT_TRUE(verdict.matched.has_value());
  EXPECT_EQ(verdict.state, HoldState::grace);
  EXPECT_NE(
      explain(verdict, kDefaultTiming, called).find("(grace: lease ended 2026-01-01 10:45:00)"),
      std::string::npos);
}

TEST(DniAttribution, AfterLeaseAndGraceTheCallHasNoVisitAndSaysWhenTheLastEnded) {
  const std::vector<Assignment> history{
      handed_out("S", "2026-01-01 10:02:00", "2026-01-01 10:15:00"),
      handed_out("later", "2026-01-01 12:00:00", "2026-01-01 12:00:00")};
  const auto called = at("2026-01-01 10:55:00");
  const auto verdict = attribute_call(history, kDefaultTiming, called);
  EXPECT_FALSE(verdict.matched.has_value());
  EXPECT_EQ(verdict.no_visit, NoVisit::lease_and_grace_over);
  EXPECT_EQ(verdict.last_ended, at("2026-01-01 10:55:00"));
  EXPECT_EQ(name_of(*verdict.no_visit), "lease_and_grace_over");
  EXPECT_EQ(explain(verdict, kDefaultTiming, called),
            "no visit: lease and grace of the last visitor shown the number ended "
            "2026-01-01 10:55:00");
}

TEST(DniAttribution, ANumberFirstShownAfterTheCallWasNeverAssignedAtCallTime) {
  const std::vector<Assignment> history{
      handed_out("S", "2026-01-01 10:02:00", "2026-01-01 10:15:00")};
  const auto verdict = attribute_call(history, kDefaultTiming, at("2026-01-01 10:01:59"));
  EXPECT_EQ(verdict.no_visit, NoVisit::number_never_assigned);
  EXPECT_EQ(attribute_call({}, kDefaultTiming, at("2026-01-01 10:01:59")).no_visit,
            NoVisit::number_never_assigned);
  EXPECT_EQ(name_of(NoVisit::number_never_assigned), "number_never_assigned");
}

TEST(DniAttribution, TheFallbackNumberNamesNoVisit) {
  auto shown = handed_out("S", "2026-01-01 10:02:00", "2026-01-01 10:02:00");
  shown.shown_as_fallback = true;
  const auto called = at("2026-01-01 10:03:00");
  const auto verdict = attribute_call({shown}, kDefaultTiming, called);
  EXPECT_FALSE(verdict.matched.has_value());
  EXPECT_EQ(verdict.no_visit, NoVisit::shown_as_fallback);
  EXPECT_NE(explain(verdict, kDefaultTiming, called).find("fallback"), std::string::npos);
}

TEST(DniAttribution, AStaticSourceSaysSo) {
  const auto verdict = static_source_call();
  EXPECT_EQ(verdict.no_visit, NoVisit::static_source);
  EXPECT_EQ(name_of(*verdict.no_visit), "static_source");
  EXPECT_NE(explain(verdict, kDefaultTiming, at("2026-01-01 10:00:00")).find("static"),
            std::string::npos);
}

TEST(DniAttribution, OverlappingHoldsChooseTheLatestAndSaySo) {
  const std::vector<Assignment> history{
      handed_out("B", "2026-01-01 10:05:00", "2026-01-01 10:05:00"),
      handed_out("A", "2026-01-01 10:00:00", "2026-01-01 10:20:00")};
  const auto called = at("2026-01-01 10:21:00");
  const auto verdict = attribute_call(history, kDefaultTiming, called);
  ASSERT_TRUE(verdict.matched.has_value());
  EXPECT_EQ(verdict.matched->session_id, "B");
  EXPECT_TRUE(verdict.ambiguous);
  EXPECT_NE(explain(verdict, kDefaultTiming, called).find("the latest was chosen"),
            std::string::npos);
}

TEST(DniAttribution, WithoutConsentTheSessionIsThePageView) {
  auto view = handed_out("P", "2026-01-01 10:00:00", "2026-01-01 10:00:00");
  view.consent = false;
  const auto called = at("2026-01-01 10:01:00");
  const auto verdict = attribute_call({view}, kDefaultTiming, called);
  ASSERT_TRUE(verdict.matched.has_value());
  EXPECT_NE(explain(verdict, kDefaultTiming, called).find("no consent"), std::string::npos);
}

}  // namespace
}  // namespace callsight::dni
