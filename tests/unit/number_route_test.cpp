#include "core/number_route.hpp"

#include <gtest/gtest.h>

#include "core/alt_number_rules.hpp"
#include "core/time_format.hpp"

namespace callsight {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kRouteZone = "Europe/Stockholm";
constexpr std::string_view kHeldNumber = "+46850000100";
constexpr std::string_view kDefaultAnswering = "+46812345678";
constexpr std::string_view kAltAnswering = "+46890510";
constexpr int kRouteQuarantineDays = 30;
constexpr WeekdaySet kEveryDay = 0b1111111;
constexpr WeekdaySet kMondayOnly = 0b0000001;
constexpr WeekdaySet kSundayOnly = 0b1000000;

TimePoint instant(const char* text) {
  const auto t = parse_utc(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

AltNumberRule alt_rule(WeekdaySet days_on, int from_minute, int to_minute,
                       std::string_view answering = kAltAnswering) {
  return {.alt_key = "",
          .answering_number = std::string(answering),
          .weekdays = days_on,
          .from_minute = from_minute,
          .to_minute = to_minute};
}

// A number active since 2025, forwarding to kDefaultAnswering; each test changes its part.
struct RouteFixture {
  Source source;
  EffectiveSourceSettings settings;
  bool show_tracking_number = false;
  bool whisper = false;
  bool removed_from_pool = false;
  std::optional<TimePoint> removed_quarantine_ends;

  RouteFixture() {
    source.answering_number = std::string(kDefaultAnswering);
    source.tracking_number = std::string(kHeldNumber);
    source.lifecycle.activation = instant("2025-01-01 00:00:00");
  }

  HeldNumber held() const {
    return {.number = kHeldNumber,
            .source = source,
            .settings = settings,
            .quarantine_days = kRouteQuarantineDays,
            .time_zone = kRouteZone,
            .show_tracking_number = show_tracking_number,
            .whisper = whisper,
            .removed_from_pool = removed_from_pool,
            .removed_quarantine_ends = removed_quarantine_ends};
  }

  NumberRoute at(const char* when) const { return number_route_at(held(), instant(when)); }

  // Looks a week ahead, past any refresh instant, so the rules alone decide.
  std::optional<TimePoint> change_after(const char* when) const {
    const auto now = instant(when);
    return next_route_change(held(), now, now + days(7));
  }
};

TEST(NumberRoute, ForwardsToTheAnsweringNumberWithTheSettingsOfTheCall) {
  RouteFixture fixture;
  fixture.settings.call_recording = 1;
  fixture.settings.vm_divert_busy = 1;
  const auto route = fixture.at("2026-01-12 10:00:00");
  EXPECT_EQ(route.action, RouteAction::forward);
  EXPECT_EQ(route.answering_number, kDefaultAnswering);
  EXPECT_EQ(route.caller_id, ShownCallerId::caller);
  EXPECT_TRUE(route.record);
  EXPECT_TRUE(route.voicemail_on_busy);
  EXPECT_FALSE(route.voicemail_on_no_answer);
  EXPECT_EQ(route.sip_status, 0);

  fixture.show_tracking_number = true;
  fixture.settings.vm_divert_noanswer = 1;
  const auto shown = fixture.at("2026-01-12 10:00:00");
  EXPECT_EQ(shown.caller_id, ShownCallerId::tracking_number);
  EXPECT_TRUE(shown.voicemail_on_no_answer);
}

TEST(NumberRoute, ARecordedCallPlaysTheNoticeUnlessItsCampaignSaysNot) {
  RouteFixture fixture;
  EXPECT_FALSE(fixture.at("2026-01-12 10:00:00").notice);  // not recorded: nothing to tell
  fixture.settings.call_recording = 1;
  EXPECT_TRUE(fixture.at("2026-01-12 10:00:00").notice);  // recording_notice defaults to 1
  fixture.settings.recording_notice = 0;
  const auto silent = fixture.at("2026-01-12 10:00:00");
  EXPECT_TRUE(silent.record);
  EXPECT_FALSE(silent.notice);
}

TEST(NumberRoute, TheCustomersWhisperNamesTheSourceOfForwardedCallsOnly) {
  RouteFixture fixture;
  fixture.source.id = 42;
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").whisper_source, std::nullopt);
  fixture.whisper = true;
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").whisper_source, 42);
  fixture.settings.vm_divert_all = 1;  // voicemail: nobody answers to hear it
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").whisper_source, std::nullopt);
  fixture.settings.vm_divert_all = 0;
  fixture.source.lifecycle.activation = instant("2027-01-01 00:00:00");  // refused
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").whisper_source, std::nullopt);
}

TEST(NumberRoute, TheGreetingIsNamedOnRoutesThatMayReachVoicemailOnly) {
  RouteFixture fixture;
  fixture.settings.vm_greeting_id = 9;  // effective_settings: the source's, else the campaign's
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").greeting, std::nullopt);  // forward, no divert
  fixture.settings.vm_divert_busy = 1;
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").greeting, 9);
  fixture.settings.vm_divert_busy = 0;
  fixture.settings.vm_divert_noanswer = 1;
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").greeting, 9);
  fixture.settings.vm_divert_noanswer = 0;
  fixture.settings.vm_divert_all = 1;
  const auto voicemail = fixture.at("2026-01-12 10:00:00");
  EXPECT_EQ(voicemail.action, RouteAction::voicemail);
  EXPECT_EQ(voicemail.greeting, 9);
  fixture.settings.vm_greeting_id.reset();  // none chosen: the default greeting
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").greeting, std::nullopt);
  fixture.settings.vm_greeting_id = 9;
  fixture.source.lifecycle.activation = instant("2027-01-01 00:00:00");  // refused
  EXPECT_EQ(fixture.at("2026-01-12 10:00:00").greeting, std::nullopt);
}

TEST(NumberRoute, AnAltNumbersRuleSendingCallsToVoicemailNamesTheGreeting) {
  RouteFixture fixture;
  fixture.settings.vm_greeting_id = 9;
  auto rule = alt_rule(kEveryDay, 0, 24 * 60);
  rule.answering_number = "voicemail";
  fixture.source.alt_numbers = {rule};
  const auto route = fixture.at("2026-01-12 10:00:00");
  EXPECT_EQ(route.action, RouteAction::voicemail);
  EXPECT_EQ(route.greeting, 9);
}

TEST(NumberRoute, VoicemailGreetingFollowsTheActionAndTheDiversions) {
  EXPECT_EQ(voicemail_greeting(RouteAction::voicemail, false, false, 3), 3);
  EXPECT_EQ(voicemail_greeting(RouteAction::forward, true, false, 3), 3);
  EXPECT_EQ(voicemail_greeting(RouteAction::forward, false, true, 3), 3);
  EXPECT_EQ(voicemail_greeting(RouteAction::forward, false, false, 3), std::nullopt);
  EXPECT_EQ(voicemail_greeting(RouteAction::reject, true, true, 3), std::nullopt);
  EXPECT_EQ(voicemail_greeting(RouteAction::voicemail, false, false, std::nullopt), std::nullopt);
}

TEST(NumberRoute, WithoutRulesOrLifecycleEventsTheRouteNeverChangesByItself) {
  RouteFixture fixture;
  EXPECT_EQ(fixture.change_after("2026-01-12 10:00:00"), std::nullopt);
}

TEST(NumberRoute, AltRuleAnswersInsideItsWindowOnThePartnersWallClock) {
  RouteFixture fixture;
  fixture.source.alt_numbers = {alt_rule(0b0011111, 8 * 60, 17 * 60)};
  // Monday 12 January 2026; Stockholm is UTC+1 in winter.
  EXPECT_EQ(fixture.at("2026-01-12 06:59:59").answering_number, kDefaultAnswering);
  EXPECT_EQ(fixture.change_after("2026-01-12 06:00:00"), instant("2026-01-12 07:00:00"));
  EXPECT_EQ(fixture.at("2026-01-12 07:00:00").answering_number, kAltAnswering);
  EXPECT_EQ(fixture.change_after("2026-01-12 07:00:00"), instant("2026-01-12 16:00:00"));
  EXPECT_EQ(fixture.at("2026-01-12 16:00:00").answering_number, kDefaultAnswering);
  // Friday evening: the next change is Monday morning, the weekend's boundaries change nothing.
  EXPECT_EQ(fixture.change_after("2026-01-16 18:00:00"), instant("2026-01-19 07:00:00"));
}

TEST(NumberRoute, ANightSplitAtMidnightIsOneWindowWhenBothHalvesLeadToOneNumber) {
  RouteFixture fixture;
  fixture.source.alt_numbers = {alt_rule(kEveryDay, 22 * 60, 24 * 60),
                                alt_rule(kEveryDay, 0, 6 * 60)};
  EXPECT_EQ(fixture.change_after("2026-01-12 20:00:00"), instant("2026-01-12 21:00:00"));
  EXPECT_EQ(fixture.at("2026-01-12 22:59:59").answering_number, kAltAnswering);
  EXPECT_EQ(fixture.at("2026-01-12 23:00:00").answering_number, kAltAnswering);
  // Local midnight ends one rule and starts the other: the call still goes to the same number.
  EXPECT_EQ(fixture.change_after("2026-01-12 21:30:00"), instant("2026-01-13 05:00:00"));
}

TEST(NumberRoute, ANightSplitAtMidnightChangesAtMidnightWhenTheHalvesDiffer) {
  RouteFixture fixture;
  fixture.source.alt_numbers = {alt_rule(kEveryDay, 22 * 60, 24 * 60),
                                alt_rule(kEveryDay, 0, 6 * 60, kVoicemail)};
  EXPECT_EQ(fixture.change_after("2026-01-12 21:30:00"), instant("2026-01-12 23:00:00"));
  EXPECT_EQ(fixture.at("2026-01-12 23:00:00").action, RouteAction::voicemail);
}

TEST(NumberRoute, AWeekdayRuleStartsAndEndsAtLocalMidnight) {
  RouteFixture fixture;
  fixture.source.alt_numbers = {alt_rule(kMondayOnly, 0, 24 * 60)};
  // Sunday 23:30 local; the rule holds all Monday, local time.
  EXPECT_EQ(fixture.at("2026-01-11 22:30:00").answering_number, kDefaultAnswering);
  EXPECT_EQ(fixture.change_after("2026-01-11 22:30:00"), instant("2026-01-11 23:00:00"));
  EXPECT_EQ(fixture.at("2026-01-11 23:00:00").answering_number, kAltAnswering);
  EXPECT_EQ(fixture.change_after("2026-01-12 09:00:00"), instant("2026-01-12 23:00:00"));
  // Tuesday: the next Monday is six days away.
  EXPECT_EQ(fixture.change_after("2026-01-13 09:00:00"), instant("2026-01-18 23:00:00"));
}

TEST(NumberRoute, RuleWindowsFollowStockholmIntoSummerTime) {
  RouteFixture fixture;
  fixture.source.alt_numbers = {alt_rule(kEveryDay, 8 * 60, 17 * 60)};
  // Saturday 28 March 2026 is the last day of UTC+1; Sunday 08:00 is 06:00 UTC.
  EXPECT_EQ(fixture.change_after("2026-03-28 11:00:00"), instant("2026-03-28 16:00:00"));
  EXPECT_EQ(fixture.change_after("2026-03-28 17:00:00"), instant("2026-03-29 06:00:00"));
  EXPECT_EQ(fixture.at("2026-03-29 05:59:59").answering_number, kDefaultAnswering);
  EXPECT_EQ(fixture.at("2026-03-29 06:00:00").answering_number, kAltAnswering);
}

TEST(NumberRoute, ARuleStartingInTheSkippedHourStartsWhenTheClockJumps) {
  RouteFixture fixture;
  // 02:30 does not exist on 29 March 2026: the clock goes from 02:00 to 03:00 at 01:00 UTC.
  fixture.source.alt_numbers = {alt_rule(kSundayOnly, 2 * 60 + 30, 24 * 60)};
  EXPECT_EQ(fixture.change_after("2026-03-28 22:00:00"), instant("2026-03-29 01:00:00"));
  EXPECT_EQ(fixture.at("2026-03-29 00:59:59").answering_number, kDefaultAnswering);
  EXPECT_EQ(fixture.at("2026-03-29 01:00:00").answering_number, kAltAnswering);
}

TEST(NumberRoute, ARuleInTheRepeatedAutumnHourHoldsTwice) {
  RouteFixture fixture;
  // On 25 October 2026 the clock shows 02:00-03:00 twice: from 00:00 and from 01:00 UTC.
  fixture.source.alt_numbers = {alt_rule(kSundayOnly, 2 * 60 + 30, 3 * 60)};
  const std::vector<std::pair<const char*, std::string_view>> windows = {
      {"2026-10-25 00:00:00", kDefaultAnswering},
      {"2026-10-25 00:30:00", kAltAnswering},
      {"2026-10-25 01:00:00", kDefaultAnswering},
      {"2026-10-25 01:30:00", kAltAnswering},
      {"2026-10-25 02:00:00", kDefaultAnswering}};
  for (std::size_t i = 0; i + 1 < windows.size(); ++i) {
    EXPECT_EQ(fixture.at(windows[i].first).answering_number, windows[i].second);
    EXPECT_EQ(fixture.change_after(windows[i].first), instant(windows[i + 1].first));
  }
  EXPECT_EQ(fixture.at(windows.back().first).answering_number, windows.back().second);
}

TEST(NumberRoute, AVoicemailRuleSendsCallsToVoicemailInItsWindow) {
  RouteFixture fixture;
  fixture.settings.call_recording = 1;
  fixture.settings.vm_divert_busy = 1;
  fixture.source.alt_numbers = {alt_rule(kEveryDay, 12 * 60, 13 * 60, kVoicemail)};
  const auto route = fixture.at("2026-01-12 11:30:00");
  EXPECT_EQ(route.action, RouteAction::voicemail);
  EXPECT_TRUE(route.answering_number.empty());
  EXPECT_TRUE(route.record);
  EXPECT_FALSE(route.voicemail_on_busy);
  EXPECT_EQ(fixture.change_after("2026-01-12 11:30:00"), instant("2026-01-12 12:00:00"));
}

TEST(NumberRoute, DivertingEveryCallToVoicemailOverridesTheRules) {
  RouteFixture fixture;
  fixture.settings.vm_divert_all = 1;
  fixture.source.alt_numbers = {alt_rule(kEveryDay, 8 * 60, 17 * 60)};
  for (const auto* when : {"2026-01-12 06:00:00", "2026-01-12 10:00:00"}) {
    EXPECT_EQ(fixture.at(when).action, RouteAction::voicemail) << when;
    EXPECT_EQ(fixture.change_after(when), std::nullopt) << when;
  }
}

TEST(NumberRoute, AnUpcomingNumberIsNotInUseUntilItsActivation) {
  RouteFixture fixture;
  fixture.source.lifecycle.activation = instant("2026-02-01 12:00:00");
  const auto route = fixture.at("2026-02-01 11:00:00");
  EXPECT_EQ(route.action, RouteAction::reject);
  EXPECT_EQ(route.sip_status, 404);
  EXPECT_EQ(route.reason, "Not In Use");
  EXPECT_FALSE(route.quarantined);
  EXPECT_FALSE(screens_callers(route));
  EXPECT_EQ(fixture.change_after("2026-02-01 11:00:00"), instant("2026-02-01 12:00:00"));
  EXPECT_EQ(fixture.at("2026-02-01 12:00:00").action, RouteAction::forward);
}

TEST(NumberRoute, AQuarantinedNumberIsRefusedUntilItsQuarantineEnds) {
  RouteFixture fixture;
  fixture.source.lifecycle.deleted_at = instant("2026-03-01 10:00:00");
  EXPECT_EQ(fixture.change_after("2026-03-01 09:00:00"), instant("2026-03-01 10:00:00"));
  const auto route = fixture.at("2026-03-01 10:00:00");
  EXPECT_EQ(route.action, RouteAction::reject);
  EXPECT_EQ(route.sip_status, 404);
  EXPECT_TRUE(route.quarantined);
  // Archived when the quarantine ends: its holder lets the number go.
  const auto deleted = instant("2026-03-01 10:00:00");
  EXPECT_EQ(next_route_change(fixture.held(), deleted, deleted + days(60)),
            deleted + days(kRouteQuarantineDays));
  EXPECT_FALSE(fixture.at("2026-03-31 10:00:00").quarantined);
}

TEST(NumberRoute, AnExpiryStartsTheQuarantine) {
  RouteFixture fixture;
  fixture.source.lifecycle.expires_at = instant("2026-04-30 22:00:00");
  EXPECT_EQ(fixture.change_after("2026-04-30 12:00:00"), instant("2026-04-30 22:00:00"));
  EXPECT_TRUE(fixture.at("2026-04-30 22:00:00").quarantined);
}

TEST(NumberRoute, AReservedNumberIsNotInUseAndChangesWhenTheReservationEnds) {
  RouteFixture fixture;
  fixture.source.lifecycle.reserved_until = instant("2026-01-20 00:00:00");
  EXPECT_EQ(fixture.at("2026-01-19 12:00:00").action, RouteAction::reject);
  EXPECT_EQ(fixture.change_after("2026-01-19 12:00:00"), instant("2026-01-20 00:00:00"));
}

TEST(NumberRoute, ANumberRemovedFromItsPoolIsQuarantinedWhateverThePool) {
  RouteFixture fixture;
  fixture.removed_from_pool = true;
  const auto route = fixture.at("2026-01-12 10:00:00");
  EXPECT_EQ(route.action, RouteAction::reject);
  EXPECT_EQ(route.reason, "Not In Use");
  EXPECT_TRUE(route.quarantined);
  EXPECT_EQ(fixture.change_after("2026-01-12 10:00:00"), std::nullopt);
  fixture.removed_quarantine_ends = instant("2026-01-14 10:00:00");
  EXPECT_EQ(fixture.change_after("2026-01-12 10:00:00"), instant("2026-01-14 10:00:00"));
}

TEST(NumberRoute, ABlacklistedCallerIsRefusedWithForbidden) {
  RouteFixture fixture;
  EXPECT_TRUE(screens_callers(fixture.at("2026-01-12 10:00:00")));
  fixture.settings.vm_divert_all = 1;
  EXPECT_TRUE(screens_callers(fixture.at("2026-01-12 10:00:00")));
  const auto refused = blacklisted_caller_route();
  EXPECT_EQ(refused.action, RouteAction::reject);
  EXPECT_EQ(refused.sip_status, 403);
  EXPECT_EQ(refused.reason, "Forbidden");
}

TEST(NumberRoute, RefreshInstantIsWithinTheHorizonAndTheSameUntilItPasses) {
  const auto now = instant("2026-01-12 10:00:00");
  const auto refresh = route_refresh_after(kHeldNumber, now);
  EXPECT_GT(refresh, now);
  EXPECT_LE(refresh, now + kRouteValidityHorizon);
  for (const auto later : {now + seconds(1), refresh - hours(1), refresh - seconds(1)}) {
    EXPECT_EQ(route_refresh_after(kHeldNumber, later), refresh);
  }
  EXPECT_EQ(route_refresh_after(kHeldNumber, refresh), refresh + kRouteValidityHorizon);
  // Numbers refresh at different times of day (their hashes differ).
  EXPECT_NE(route_refresh_after("+46850000101", now), refresh);
}

TEST(NumberRoute, ValidUntilIsTheNextChangeOrTheRefreshWhicheverComesFirst) {
  RouteFixture fixture;
  const auto now = instant("2026-01-12 10:00:00");
  const auto refresh = route_refresh_after(kHeldNumber, now);
  EXPECT_EQ(number_route_with_validity(fixture.held(), now).valid_until, refresh);
  fixture.source.lifecycle.deleted_at = now + minutes(1);
  const auto timed = number_route_with_validity(fixture.held(), now);
  EXPECT_EQ(timed.route, number_route_at(fixture.held(), now));
  EXPECT_EQ(timed.valid_until, now + minutes(1));
}

// Nodes compute copies at different instants; walking a week through rules, a DST change
// and a quarantine, every instant inside a validity window gives the same route and the same
// valid_until, and the route holds until then.
TEST(NumberRoute, EveryInstantOfAValidityWindowGivesTheSameAnswer) {
  RouteFixture fixture;
  fixture.source.alt_numbers = {alt_rule(0b0011111, 8 * 60, 17 * 60),
                                alt_rule(kEveryDay, 22 * 60, 24 * 60, kVoicemail),
                                alt_rule(kSundayOnly, 2 * 60 + 30, 3 * 60, "+46701234567")};
  fixture.source.lifecycle.deleted_at = instant("2026-10-28 09:00:00");
  auto window = number_route_with_validity(fixture.held(), instant("2026-10-22 00:00:00"));
  int windows = 0;
  for (auto t = instant("2026-10-22 00:00:00"); t < instant("2026-10-29 00:00:00");
       t += minutes(7) + seconds(13)) {
    if (t >= window.valid_until) {
      window = number_route_with_validity(fixture.held(), t);
      ++windows;
    }
    const auto again = number_route_with_validity(fixture.held(), t);
    ASSERT_EQ(again.valid_until, window.valid_until) << format_utc(t);
    ASSERT_EQ(again.route, window.route) << format_utc(t);
  }
  // Weekday windows, nightly voicemail, the two autumn windows, daily refreshes.
  EXPECT_GT(windows, 20);
}

}  // namespace
}  // namespace callsight
