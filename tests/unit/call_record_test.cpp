#include "core/call_record.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/time_format.hpp"

namespace callsight {
namespace {

using std::chrono::seconds;

const TimePoint kStart = parse_utc("2024-01-15 12:00:00").value();

TimePoint t(int offset) { return kStart + seconds(offset); }

CallRecord routed_call() {
  CallRecord r;
  r.partner_id = 1;
  r.customer_id = 2;
  r.source_id = 3;
  r.switch_call_id = "call-1@edge";
  r.caller = "+46701234567";
  r.tracking_number = "+46812345678";
  r.answering_number = "+46890510";
  r.start = kStart;
  return r;
}

CallEvent event(CallEventType type, int offset) {
  CallEvent e;
  e.type = type;
  e.at = t(offset);
  return e;
}

CallEvent answered(int offset, std::string number) {
  auto e = event(CallEventType::answered, offset);
  e.answering_number = std::move(number);
  return e;
}

CallEvent failed(int offset, int sip_status, std::string reason = {}) {
  auto e = event(CallEventType::failed, offset);
  e.sip_status = sip_status;
  e.reason = std::move(reason);
  return e;
}

CallEvent hangup(int offset, std::string by, std::string reason) {
  auto e = event(CallEventType::hangup, offset);
  e.hangup_by = std::move(by);
  e.reason = std::move(reason);
  return e;
}

CallRecord after(const std::vector<CallEvent>& events, CallRecord record = routed_call()) {
  for (const auto& e : events) apply_call_event(record, e);
  return record;
}

// Applies the events in every order and checks each order gives the first order's record.
void expect_order_free(const std::vector<CallEvent>& events) {
  std::vector<std::size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  const CallRecord expected = after(events);
  int permutations = 0;
  do {
    CallRecord record = routed_call();
    for (const auto i : order) apply_call_event(record, events[i]);
    ASSERT_EQ(record, expected) << "permutation " << permutations;
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_GT(permutations, 1);
}

// ---- names ----

TEST(CallRecordNames, EveryEnumRoundTripsThroughItsName) {
  for (auto d : {CallDirection::inbound, CallDirection::outbound}) {
    EXPECT_EQ(parse_call_direction(to_string(d)), d);
  }
  for (auto a : {RouteAction::forward, RouteAction::voicemail, RouteAction::reject}) {
    EXPECT_EQ(parse_route_action(to_string(a)), a);
  }
  for (auto s :
       {CallStatus::in_progress, CallStatus::answered, CallStatus::no_answer, CallStatus::busy,
        CallStatus::failed, CallStatus::rejected, CallStatus::voicemail, CallStatus::unknown}) {
    EXPECT_EQ(parse_call_status(to_string(s)), s);
  }
  for (auto e : {CallEventType::ringing, CallEventType::answered, CallEventType::voicemail,
                 CallEventType::failed, CallEventType::hangup}) {
    EXPECT_EQ(parse_call_event_type(to_string(e)), e);
  }
  EXPECT_EQ(to_string(CallStatus::no_answer), "no_answer");
  EXPECT_EQ(to_string(CallDirection::outbound), "outbound");
  EXPECT_FALSE(parse_call_status("NO_ANSWER"));
  EXPECT_FALSE(parse_call_event_type(""));
  EXPECT_FALSE(parse_route_action("forwarded"));
  EXPECT_FALSE(parse_call_direction("in"));
}

// ---- apply_call_event ----

TEST(CallEvents, EachEventRecordsItsOwnFacts) {
  auto r = after({event(CallEventType::ringing, 1)});
  EXPECT_EQ(r.ringing_at, t(1));
  EXPECT_FALSE(r.answered_at);
  EXPECT_FALSE(r.ended_at);

  r = after({answered(5, "+46701111111")});
  EXPECT_EQ(r.answered_at, t(5));
  EXPECT_EQ(r.answering_number, "+46701111111");

  r = after({event(CallEventType::voicemail, 7)});
  EXPECT_EQ(r.voicemail_at, t(7));

  r = after({failed(9, 486, "Busy Here")});
  EXPECT_EQ(r.ended_at, t(9));
  EXPECT_EQ(r.failure_sip_status, 486);
  EXPECT_EQ(r.hangup_reason, "Busy Here");
  EXPECT_EQ(r.hangup_by, "");

  r = after({hangup(60, "callee", "Q.850;cause=16")});
  EXPECT_EQ(r.ended_at, t(60));
  EXPECT_EQ(r.hangup_by, "callee");
  EXPECT_EQ(r.hangup_reason, "Q.850;cause=16");
  EXPECT_FALSE(r.failure_sip_status);
}

TEST(CallEvents, AnsweredWithoutNumberKeepsTheRoutedAnsweringNumber) {
  const auto r = after({answered(5, "")});
  EXPECT_EQ(r.answered_at, t(5));
  EXPECT_EQ(r.answering_number, "+46890510");
}

TEST(CallEvents, EarliestInstantWinsWithItsDetails) {
  auto r = after({event(CallEventType::ringing, 3), event(CallEventType::ringing, 1)});
  EXPECT_EQ(r.ringing_at, t(1));

  r = after({answered(8, "+46702222222"), answered(5, "+46701111111")});
  EXPECT_EQ(r.answered_at, t(5));
  EXPECT_EQ(r.answering_number, "+46701111111");

  // The end is one fact: the earlier hangup's details stand, the later failure adds none.
  r = after({failed(20, 487, "Request Terminated"), hangup(10, "caller", "CANCEL")});
  EXPECT_EQ(r.ended_at, t(10));
  EXPECT_EQ(r.hangup_by, "caller");
  EXPECT_EQ(r.hangup_reason, "CANCEL");
  EXPECT_FALSE(r.failure_sip_status);
}

TEST(CallEvents, FailureAndHangupInTheSameSecondAreBothKept) {
  const auto r = after({failed(10, 486), hangup(10, "callee", "Busy")});
  EXPECT_EQ(r.ended_at, t(10));
  EXPECT_EQ(r.failure_sip_status, 486);
  EXPECT_EQ(r.hangup_by, "callee");
  EXPECT_EQ(r.hangup_reason, "Busy");
  EXPECT_EQ(call_status(r), CallStatus::busy);
}

TEST(CallEvents, AnsweredCallGivesTheSameRecordInEveryOrderWithDuplicates) {
  expect_order_free({
      event(CallEventType::ringing, 2),
      event(CallEventType::ringing, 2),  // retransmitted
      event(CallEventType::ringing, 1),  // an earlier report from another leg
      answered(6, "+46701111111"),
      answered(6, "+46701111111"),
      answered(7, "+46702222222"),
      hangup(90, "callee", "BYE"),
      hangup(91, "caller", "late"),
  });
}

TEST(CallEvents, FailedCallGivesTheSameRecordInEveryOrderWithDuplicates) {
  expect_order_free({
      event(CallEventType::ringing, 1),
      failed(30, 486, "Busy Here"),
      failed(30, 486, "Busy Here"),
      hangup(30, "callee", ""),
      failed(35, 408),
      hangup(40, "caller", "gone"),
      event(CallEventType::voicemail, 31),
      event(CallEventType::voicemail, 32),
  });
}

TEST(CallEvents, SameInstantReportsThatDisagreeGiveOneRecordInEveryOrder) {
  expect_order_free({
      answered(5, "+46701111111"),
      answered(5, "+46702222222"),
      failed(9, 480, "A"),
      failed(9, 487, "B"),
      hangup(9, "caller", "C"),
      hangup(9, "callee", ""),
  });
}

// ---- call_status ----

struct StatusCase {
  const char* name;
  RouteAction action;
  bool answered;
  bool voicemail_event;
  bool ended;
  std::optional<int> failure;
  bool voicemail_on_busy;
  bool voicemail_on_no_answer;
  CallStatus expected;
};

TEST(CallStatusRules, FollowTheTable) {
  using A = RouteAction;
  using S = CallStatus;
  const std::vector<StatusCase> cases = {
      {"rejected wins over everything", A::reject, true, true, true, 486, true, true, S::rejected},
      {"routed to voicemail", A::voicemail, false, false, false, {}, false, false, S::voicemail},
      {"diverted to voicemail", A::forward, true, true, true, {}, false, false, S::voicemail},
      {"answered and ended", A::forward, true, false, true, {}, false, false, S::answered},
      {"answered, still talking", A::forward, true, false, false, {}, false, false, S::answered},
      {"ringing", A::forward, false, false, false, {}, false, false, S::in_progress},
      {"486 busy", A::forward, false, false, true, 486, false, false, S::busy},
      {"600 busy everywhere", A::forward, false, false, true, 600, false, false, S::busy},
      {"busy to voicemail", A::forward, false, false, true, 486, true, false, S::voicemail},
      {"busy, voicemail only on no answer", A::forward, false, false, true, 486, false, true,
       S::busy},
      {"408 timeout", A::forward, false, false, true, 408, false, false, S::no_answer},
      {"480 unavailable", A::forward, false, false, true, 480, false, false, S::no_answer},
      {"487 cancelled", A::forward, false, false, true, 487, false, false, S::no_answer},
      {"caller hung up", A::forward, false, false, true, {}, false, false, S::no_answer},
      {"no answer to voicemail", A::forward, false, false, true, 408, false, true, S::voicemail},
      {"no answer, voicemail only on busy",
       A::forward,
       false,
       false,
       true,
       {},
       true,
       false,
       S::no_answer},
      {"503 failed", A::forward, false, false, true, 503, true, true, S::failed},
      {"404 failed", A::forward, false, false, true, 404, false, false, S::failed},
      {"voicemail leg failed", A::voicemail, false, false, true, 503, false, false, S::voicemail},
      {"diverted, voicemail leg failed", A::forward, false, true, true, 500, true, false,
       S::voicemail},
  };
  for (const auto& c : cases) {
    CallRecord r = routed_call();
    r.action = c.action;
    if (c.answered) r.answered_at = t(5);
    if (c.voicemail_event) r.voicemail_at = t(6);
    if (c.ended) r.ended_at = t(60);
    r.failure_sip_status = c.failure;
    r.voicemail_on_busy = c.voicemail_on_busy;
    r.voicemail_on_no_answer = c.voicemail_on_no_answer;
    EXPECT_EQ(call_status(r), c.expected) << c.name;
  }
}

// ---- duration and masking ----

TEST(CallDuration, CountsFromAnswerToEndOnly) {
  CallRecord r = routed_call();
  EXPECT_EQ(call_duration_seconds(r), 0);
  r.answered_at = t(5);
  EXPECT_EQ(call_duration_seconds(r), 0);  // still talking
  r.ended_at = t(125);
  EXPECT_EQ(call_duration_seconds(r), 120);
  r.answered_at.reset();
  EXPECT_EQ(call_duration_seconds(r), 0);  // ended unanswered
  r.answered_at = t(130);                  // clocks that disagree
  EXPECT_EQ(call_duration_seconds(r), 0);
}

TEST(MaskCaller, ReplacesTheLastThreeCharacters) {
  EXPECT_EQ(mask_caller("+46701234567"), "+46701234xxx");
  EXPECT_EQ(mask_caller("anonymous"), "anonymxxx");
  // Characters, not bytes: a caller that is not a number may be any text.
  EXPECT_EQ(mask_caller("abc€1"), "abxxx");
  EXPECT_EQ(mask_caller("Åsa Öberg"), "Åsa Öbxxx");
  EXPECT_EQ(mask_caller("åäö"), "xxx");
  EXPECT_EQ(mask_caller("😀😀"), "xxx");
  EXPECT_EQ(mask_caller("😀😀😀😀"), "😀xxx");
  EXPECT_EQ(mask_caller("12\xEF\xBF\xBD\xEF\xBF\xBD"), "1xxx");
  EXPECT_EQ(mask_caller("1234"), "1xxx");
  EXPECT_EQ(mask_caller("123"), "xxx");
  EXPECT_EQ(mask_caller("1"), "xxx");
  EXPECT_EQ(mask_caller(""), "xxx");
}

// ---- how every call ends ----

TEST(CallEnd, ARejectedCallEndsWhenRoutedWithItsRejectionAsFinalStatus) {
  CallRecord r = routed_call();
  r.answering_number.clear();
  reject_call(r, 403, "Forbidden");
  EXPECT_EQ(r.action, RouteAction::reject);
  EXPECT_EQ(r.ended_at, kStart);
  EXPECT_EQ(r.failure_sip_status, 403);
  EXPECT_EQ(r.reject_sip_status, 403);
  EXPECT_EQ(r.reject_reason, "Forbidden");
  EXPECT_EQ(call_status(r), CallStatus::rejected);
  EXPECT_FALSE(is_overdue(r, t(100000), seconds(60)));
}

TEST(CallEnd, ACallIsOverdueOnceOpenForTheMaximumCallLength) {
  CallRecord r = after({event(CallEventType::ringing, 1), answered(2, "")});
  EXPECT_FALSE(is_overdue(r, t(3599), seconds(3600)));
  EXPECT_TRUE(is_overdue(r, t(3600), seconds(3600)));
  r = after({hangup(10, "caller", "")}, r);
  EXPECT_FALSE(is_overdue(r, t(7200), seconds(3600)));
}

TEST(CallEnd, TheSweepClosesAsUnknownAtTheLastInstantTheCallWasAlive) {
  CallRecord r = after({event(CallEventType::ringing, 3), answered(7, "")});
  close_as_unknown(r);
  EXPECT_EQ(r.ended_at, t(7));
  EXPECT_TRUE(r.end_unknown);
  EXPECT_EQ(call_status(r), CallStatus::unknown);
  EXPECT_EQ(call_duration_seconds(r), 0);
  CallRecord unreported = routed_call();
  close_as_unknown(unreported);
  EXPECT_EQ(unreported.ended_at, kStart);
  EXPECT_EQ(call_status(unreported), CallStatus::unknown);
}

TEST(CallEnd, ALateEndCorrectsASweptCallWhateverItsInstant) {
  for (const int end : {5, 60, 20000}) {  // before and after the sweep's guess of 7
    CallRecord r = after({answered(7, "")});
    close_as_unknown(r);
    r = after({hangup(end, "callee", "normal")}, r);
    EXPECT_FALSE(r.end_unknown) << end;
    EXPECT_EQ(r.ended_at, t(end));
    EXPECT_EQ(r.hangup_by, "callee");
    EXPECT_EQ(call_status(r), CallStatus::answered);
  }
  CallRecord unanswered = routed_call();
  close_as_unknown(unanswered);
  unanswered = after({failed(30, 486)}, unanswered);
  EXPECT_EQ(call_status(unanswered), CallStatus::busy);
  EXPECT_EQ(unanswered.failure_sip_status, 486);
}

TEST(CallEnd, LateEndsAfterTheSweepGiveTheSameRecordInEitherOrder) {
  CallRecord swept = after({answered(7, "")});
  close_as_unknown(swept);
  const auto first = after({failed(9, 487), hangup(12, "caller", "")}, swept);
  const auto second = after({hangup(12, "caller", ""), failed(9, 487)}, swept);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.ended_at, t(9));
  // A retransmitted end changes nothing more.
  EXPECT_EQ(after({failed(9, 487)}, first), first);
}

TEST(CallEnd, AVoicemailCallIsVoicemailWhateverEndsIt) {
  CallRecord r = routed_call();
  r.action = RouteAction::voicemail;
  r.answering_number.clear();
  for (const auto& end : {failed(20, 503), failed(20, 480), hangup(20, "caller", "")}) {
    const auto ended = after({end}, r);
    EXPECT_EQ(ended.ended_at, t(20));
    EXPECT_EQ(call_status(ended), CallStatus::voicemail);
  }
  CallRecord diverted = routed_call();
  diverted.voicemail_on_busy = true;
  auto divert = event(CallEventType::voicemail, 5);
  divert.sip_status = 486;
  const auto ended = after({divert, hangup(40, "caller", "")}, diverted);
  EXPECT_EQ(ended.ended_at, t(40));
  EXPECT_EQ(call_status(ended), CallStatus::voicemail);
  EXPECT_FALSE(ended.failure_sip_status);
}

}  // namespace
}  // namespace callsight
