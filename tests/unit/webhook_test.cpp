#include "core/webhook.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time_format.hpp"
#include "core/webhook_payload.hpp"

namespace callsight {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TimePoint webhook_time(const char* text) { return parse_utc(text).value(); }

TEST(WebhookRetry, BacksOffFromTenSecondsDoubling) {
  const auto created = webhook_time("2024-01-15 12:00:00");
  EXPECT_EQ(next_webhook_attempt(created, 1, created), created + seconds(10));
  EXPECT_EQ(next_webhook_attempt(created, 2, created), created + seconds(20));
  EXPECT_EQ(next_webhook_attempt(created, 3, created), created + seconds(40));
  EXPECT_EQ(next_webhook_attempt(created, 9, created), created + seconds(2560));
}

TEST(WebhookRetry, DelayIsCappedAtOneHour) {
  const auto created = webhook_time("2024-01-15 12:00:00");
  EXPECT_EQ(next_webhook_attempt(created, 10, created), created + hours(1));
  EXPECT_EQ(next_webhook_attempt(created, 1000, created), created + hours(1));
}

TEST(WebhookRetry, GivesUpOnceTheNextAttemptWouldPassSevenDays) {
  const auto created = webhook_time("2024-01-15 12:00:00");
  const auto end = created + kWebhookRetryWindow;
  EXPECT_EQ(next_webhook_attempt(created, 50, end - hours(1)), end);
  EXPECT_EQ(next_webhook_attempt(created, 50, end - hours(1) + seconds(1)), std::nullopt);
  EXPECT_EQ(next_webhook_attempt(created, 1, end - seconds(5)), std::nullopt);
}

TEST(WebhookFormat, ParsesAndNamesBothFormats) {
  EXPECT_EQ(parse_webhook_format("json"), WebhookFormat::json);
  EXPECT_EQ(parse_webhook_format("form"), WebhookFormat::form);
  EXPECT_EQ(parse_webhook_format("xml"), std::nullopt);
  EXPECT_EQ(to_string(WebhookFormat::form), "form");
  EXPECT_EQ(to_string(DeliveryState::dead), "dead");
  EXPECT_TRUE(is_event_type("source.status_changed"));
  EXPECT_FALSE(is_event_type("webhook.test"));
}

TEST(WebhookTemplate, ReplacesKnownMacrosAndKeepsUnknownOnes) {
  const std::string payload = R"({"cdr_id":"17","anum":"+46701234xxx","duration":42})";
  EXPECT_EQ(render_webhook_template(R"({"id":"{cdr_id}","d":{duration},"x":"{nope}"})", payload,
                                    WebhookFormat::json),
            R"({"id":"17","d":42,"x":"{nope}"})");
  EXPECT_EQ(render_webhook_template("{ {cdr_id} {", payload, WebhookFormat::json), "{ 17 {");
}

TEST(WebhookTemplate, NullValuesRenderEmpty) {
  EXPECT_EQ(render_webhook_template("a={end}&b", R"({"end":null})", WebhookFormat::form), "a=&b");
}

TEST(WebhookTemplate, FormValuesArePercentEncoded) {
  EXPECT_EQ(
      render_webhook_template("anum={anum}&n={name}", R"({"anum":"+46701234xxx","name":"a b&c=ö"})",
                              WebhookFormat::form),
      "anum=%2B46701234xxx&n=a+b%26c%3D%C3%B6");
  EXPECT_EQ(render_webhook_template("n={name}", R"({"name":"a b"})", WebhookFormat::json), "n=a b");
}

TEST(WebhookPayload, CallPayloadHoldsTheMacrosAsStringsOrNull) {
  CallRecord r;
  r.id = 9;
  r.customer_id = 3;
  r.source_id = 4;
  r.caller = "+46701234567";
  r.tracking_number = "+46812345678";
  r.answering_number = "+46890510";
  r.start = webhook_time("2024-01-15 12:00:00");
  r.answered_at = webhook_time("2024-01-15 12:00:05");
  r.ended_at = webhook_time("2024-01-15 12:01:05");
  const auto p = nlohmann::json::parse(call_event_payload(r));
  EXPECT_EQ(p["cdr_id"], "9");
  EXPECT_EQ(p["anum"], "+46701234xxx");
  EXPECT_EQ(p["source_id"], "4");
  EXPECT_TRUE(p["campaign_id"].is_null());
  EXPECT_EQ(p["answered"], "1");
  EXPECT_EQ(p["duration"], "60");
  EXPECT_EQ(p["status"], "answered");
  EXPECT_EQ(p["end"], "2024-01-15 12:01:05");
}

TEST(WebhookPayload, SourcePayloadNamesNumbersAsTheWireDoes) {
  Source s;
  s.id = 5;
  s.customer_id = 3;
  s.name = "web";
  s.media = "google";
  s.tracking_number = "+46812345678";
  s.answering_number = "+46890510";
  const auto p = nlohmann::json::parse(source_event_payload(s, SourceStatus::active));
  EXPECT_EQ(p["destnr"], "+46812345678");
  EXPECT_EQ(p["phonenr"], "+46890510");
  EXPECT_EQ(p["status"], "active");
  EXPECT_EQ(p["source_id"], "5");
}

}  // namespace
}  // namespace callsight
