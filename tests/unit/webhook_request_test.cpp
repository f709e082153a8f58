#include "webhooks/webhook_request.hpp"

#include <gtest/gtest.h>

#include "core/time_format.hpp"

namespace callsight::webhooks {
namespace {

// Expected signatures computed apart from this code, with Python's hmac module:
// hmac.new(secret, (timestamp + "." + body).encode(), hashlib.sha256).hexdigest()
class WebhookRequestTest : public ::testing::Test {
 protected:
  WebhookRequestTest() {
    webhook_.secret = "whsec-test-0123456789";
    event_.id = 7;
    event_.type = "call.started";
    event_.sequence = 3;
    event_.payload = R"({"cdr_id":"12","caller":"+46701111111"})";
    event_.created = *parse_utc("2024-01-15 12:00:00");
  }

  std::string header(const WebhookRequest& request, const std::string& name) const {
    for (const auto& [key, value] : request.headers) {
      if (key == name) return value;
    }
    return "(absent)";
  }

  Webhook webhook_;
  OutboxEvent event_;
  const TimePoint attempt_time_ = TimePoint(std::chrono::seconds(1705320005));
};

TEST_F(WebhookRequestTest, AJsonBodyIsTheEventWithItsDataAndSignedWithTheTimestamp) {
  const auto request = build_webhook_request(webhook_, event_, attempt_time_);
  EXPECT_EQ(request.content_type, "application/json");
  EXPECT_EQ(request.body,
            R"({"event_id":"7","type":"call.started","sequence":"3",)"
            R"("created":"2024-01-15 12:00:00","data":{"cdr_id":"12","caller":"+46701111111"}})");
  EXPECT_EQ(header(request, "X-Callsight-Timestamp"), "1705320005");
  EXPECT_EQ(header(request, "X-Callsight-Event-Id"), "7");
  EXPECT_EQ(header(request, "X-Callsight-Event-Type"), "call.started");
  EXPECT_EQ(header(request, "X-Callsight-Sequence"), "3");
  EXPECT_EQ(header(request, "X-Callsight-Signature"),
            "sha256=ea69d66e258fd07d42c9725af81e425b2c65aca3a90a9fbcfe0740c83ba7eae9");
}

TEST_F(WebhookRequestTest, AFormBodyIsThePayloadFieldsThenTheEventsAndSignedTheSameWay) {
  webhook_.format = WebhookFormat::form;
  const auto request = build_webhook_request(webhook_, event_, attempt_time_);
  EXPECT_EQ(request.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(request.body,
            "cdr_id=12&caller=%2B46701111111&event_id=7&type=call.started&sequence=3");
  EXPECT_EQ(header(request, "X-Callsight-Signature"),
            "sha256=8620d959e45163a15ba2ac0bca8820335cca4b12d1d38e66c787c1a2f7597a86");
}

TEST_F(WebhookRequestTest, AnotherSecretOrAttemptTimeSignsDifferently) {
  const auto signature = [&](TimePoint at) {
    return header(build_webhook_request(webhook_, event_, at), "X-Callsight-Signature");
  };
  const auto first = signature(attempt_time_);
  EXPECT_NE(signature(attempt_time_ + std::chrono::seconds(1)), first);
  webhook_.secret = "whsec-other-0123456789";
  EXPECT_NE(signature(attempt_time_), first);
}

}  // namespace
}  // namespace callsight::webhooks
