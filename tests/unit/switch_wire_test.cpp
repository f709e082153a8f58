#include "switch/switch_wire.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace callsight::switching {
namespace {

std::string error_field(const std::variant<EventRequest, WireError>& parsed) {
  return std::holds_alternative<WireError>(parsed) ? std::get<WireError>(parsed).field : "<ok>";
}

TEST(SwitchWire, RouteRequestNeedsCallIdAndDialled) {
  const auto parsed =
      parse_route_request(R"({"call_id":"a@b","caller":"+46701234567","dialled":"+4681"})");
  ASSERT_TRUE(std::holds_alternative<RouteRequest>(parsed));
  EXPECT_EQ(std::get<RouteRequest>(parsed).dialled, "+4681");
  const auto missing = parse_route_request(R"({"call_id":"a@b"})");
  ASSERT_TRUE(std::holds_alternative<WireError>(missing));
  EXPECT_EQ(std::get<WireError>(missing).field, "dialled");
  EXPECT_EQ(std::get<WireError>(parse_route_request("{")).field, "");
}

TEST(SwitchWire, EventsTakeNumbersAsStringsOrNumbers) {
  const auto parsed = parse_event_request(
      R"({"call_id":"c","event":"failed","at":"1700000000","sip_status":486,"reason":"busy"})");
  ASSERT_TRUE(std::holds_alternative<EventRequest>(parsed));
  const auto& event = std::get<EventRequest>(parsed).event;
  EXPECT_EQ(event.type, CallEventType::failed);
  EXPECT_EQ(event.at.time_since_epoch().count(), 1700000000);
  EXPECT_EQ(event.sip_status, 486);
  EXPECT_EQ(event.reason, "busy");
}

TEST(SwitchWire, EventErrorsNameTheField) {
  EXPECT_EQ(error_field(parse_event_request(R"({"call_id":"c","event":"x","at":1})")), "event");
  EXPECT_EQ(error_field(parse_event_request(R"({"call_id":"c","event":"hangup"})")), "at");
  EXPECT_EQ(error_field(parse_event_request(R"({"call_id":"c","event":"hangup","at":-1})")), "at");
  EXPECT_EQ(error_field(parse_event_request(
                R"({"call_id":"c","event":"failed","at":1,"sip_status":"4x6"})")),
            "sip_status");
  EXPECT_EQ(error_field(parse_event_request(R"({"event":"hangup","at":1})")), "call_id");
  EXPECT_EQ(error_field(parse_event_request(R"({"call_id":true,"event":"hangup","at":1})")),
            "call_id");
}

TEST(SwitchWire, DecisionRendersScalarsAsStrings) {
  RouteDecision forward;
  forward.action = RouteAction::forward;
  forward.cdr_id = 7;
  forward.destination = "+46890510";
  forward.caller_id = "+46701234567";
  forward.voicemail_on_busy = true;
  EXPECT_EQ(nlohmann::json::parse(render_decision(forward)),
            nlohmann::json::parse(R"({"action":"forward","cdr_id":"7","destination":"+46890510",
              "caller_id":"+46701234567","record":"0","voicemail_on_busy":"1",
              "voicemail_on_no_answer":"0","notice":"0","whisper":"","greeting":""})"));
  forward.record = true;
  forward.notice = true;
  forward.whisper_source = 42;
  const auto prompts = nlohmann::json::parse(render_decision(forward));
  EXPECT_EQ(prompts["notice"], "1");
  EXPECT_EQ(prompts["whisper"], "42");
  forward.greeting = 5;
  EXPECT_EQ(nlohmann::json::parse(render_decision(forward))["greeting"], "5");
  RouteDecision voicemail;
  voicemail.action = RouteAction::voicemail;
  voicemail.cdr_id = 8;
  voicemail.greeting = 6;
  EXPECT_EQ(
      nlohmann::json::parse(render_decision(voicemail)),
      nlohmann::json::parse(R"({"action":"voicemail","cdr_id":"8","record":"0","greeting":"6"})"));
  RouteDecision reject;
  reject.sip_status = 404;
  reject.reason = "Not Found";
  EXPECT_EQ(nlohmann::json::parse(render_decision(reject)),
            nlohmann::json::parse(
                R"({"action":"reject","cdr_id":null,"sip_status":"404","reason":"Not Found"})"));
}

TEST(SwitchWire, AnyCallerIsAcceptedCleanedAndClipped) {
  const auto caller_of = [](const std::string& body) {
    const auto parsed = parse_route_request(body);
    return std::holds_alternative<RouteRequest>(parsed) ? std::get<RouteRequest>(parsed).caller
                                                        : "<error>";
  };
  EXPECT_EQ(caller_of(R"({"call_id":"c","caller":"åäö","dialled":"1"})"), "åäö");
  EXPECT_EQ(caller_of(R"({"call_id":"c","caller":"\ud83d\ude00","dialled":"1"})"), "😀");
  // Invalid bytes (a SIP display name in Latin-1, a character cut in half) become U+FFFD.
  EXPECT_EQ(caller_of("{\"call_id\":\"c\",\"caller\":\"Malm\xF6\",\"dialled\":\"1\"}"),
            "Malm\xEF\xBF\xBD");
  EXPECT_EQ(caller_of("{\"call_id\":\"c\",\"caller\":\"ab\xE2\x82\",\"dialled\":\"1\"}"),
            "ab\xEF\xBF\xBD");
  EXPECT_EQ(caller_of(R"({"call_id":"c","dialled":"1"})"), "");
  // Too long is cut at 255 characters, never in the middle of one.
  std::string long_caller;
  for (int i = 0; i < 300; ++i) long_caller += "€";
  const auto clipped =
      caller_of(R"({"call_id":"c","dialled":"1","caller":")" + long_caller + "\"}");
  EXPECT_EQ(clipped.size(), 255u * 3);
  EXPECT_EQ(clipped, long_caller.substr(0, 255u * 3));
  EXPECT_EQ(caller_of(R"({"call_id":"c","caller":["x"],"dialled":"1"})"), "<error>");
}

TEST(SwitchWire, RouteRequestTakesTheEdgesTimeWhenGiven) {
  const auto parsed = parse_route_request(R"({"call_id":"c","dialled":"1","at":1700000000})");
  ASSERT_TRUE(std::holds_alternative<RouteRequest>(parsed));
  EXPECT_EQ(std::get<RouteRequest>(parsed).at, TimePoint(std::chrono::seconds(1700000000)));
  const auto without = parse_route_request(R"({"call_id":"c","dialled":"1"})");
  EXPECT_FALSE(std::get<RouteRequest>(without).at);
  const auto bad = parse_route_request(R"({"call_id":"c","dialled":"1","at":"soon"})");
  ASSERT_TRUE(std::holds_alternative<WireError>(bad));
  EXPECT_EQ(std::get<WireError>(bad).field, "at");
}

TEST(SwitchWire, AnswersAreValidJsonWhateverTheStoredText) {
  RouteDecision forward;
  forward.action = RouteAction::forward;
  forward.caller_id = "Malm\xF6";  // stored by an older version
  const auto answer = nlohmann::json::parse(render_decision(forward));
  EXPECT_EQ(answer["caller_id"], "Malm\xEF\xBF\xBD");
}

TEST(SwitchWire, ClaimLimitIsBounded) {
  EXPECT_EQ(std::get<int>(parse_claim_request("")), 10);
  EXPECT_EQ(std::get<int>(parse_claim_request(R"({"limit":100})")), 100);
  EXPECT_TRUE(std::holds_alternative<WireError>(parse_claim_request(R"({"limit":101})")));
}

}  // namespace
}  // namespace callsight::switching
