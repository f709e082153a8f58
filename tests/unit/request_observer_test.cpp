#include "http/request_observer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "http/deferred_response.hpp"
#include "test_requests.hpp"

namespace callsight::http {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(AccessLog, QuotesAndEscapesValuesSoARequestCannotForgeFieldsOrLines) {
  const auto line = format_access_log({.listener = "partner",
                                       .remote_address = "::1",
                                       .method = "GET",
                                       .route = "other",
                                       .path = "/a b\"c\nstatus=200\x01",
                                       .status = 404,
                                       .bytes = 7,
                                       .duration = std::chrono::microseconds(1500),
                                       .request_id = "ab-1"});
  EXPECT_TRUE(contains(line, R"( path="/a b\"c\nstatus=200\u0001" )")) << line;
  EXPECT_TRUE(contains(line, " listener=partner remote=::1 method=GET route=other ")) << line;
  EXPECT_TRUE(contains(line, " status=404 bytes=7 duration_ms=1.500 request_id=ab-1")) << line;
  EXPECT_FALSE(contains(line, "partner=")) << line;
  EXPECT_FALSE(contains(line, "\n"));
  EXPECT_TRUE(line.starts_with("time=1970-01-01T00:00:00.000Z ")) << line;
}

class RequestObserverTest : public ::testing::Test {
 protected:
  Handler wrapped(Handler inner) { return observer_.wrap(std::move(inner), "partner"); }

  MetricsRegistry registry_;
  std::vector<std::string> lines_;
  RequestObserver observer_{registry_, [this](const std::string& line) { lines_.push_back(line); }};
};

TEST_F(RequestObserverTest, CountsByRoutePatternAndLogsWithoutTheQuery) {
  const auto handler = wrapped([](const Request&) {
    Response response;
    response.body = "{}";
    response.route = "/customers/{customer_id}";
    response.principal_id = 7;
    return response;
  });
  const auto response = handler(get_request("/customers/42?password=hunter2"));
  handler(get_request("/customers/43"));
  const auto text = registry_.render();
  EXPECT_TRUE(contains(text,
                       "callsight_http_requests_total{listener=\"partner\",route=\"/"
                       "customers/{customer_id}\",method=\"GET\",status=\"200\"} 2\n"))
      << text;
  EXPECT_TRUE(contains(text,
                       "callsight_http_request_duration_seconds_count{listener="
                       "\"partner\",route=\"/customers/{customer_id}\"} 2\n"))
      << text;
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_TRUE(contains(lines_[0], " path=/customers/42 status=200 bytes=2 ")) << lines_[0];
  EXPECT_TRUE(contains(lines_[0], " partner=7 ")) << lines_[0];
  EXPECT_FALSE(contains(lines_[0], "hunter2"));
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "X-Request-Id");
  EXPECT_TRUE(contains(lines_[0], " request_id=" + response.headers[0].second));
}

TEST_F(RequestObserverTest, AHandlerThatThrowsIsCountedAs500UnderOtherAndStillThrows) {
  const auto handler = wrapped([](const Request&) -> Response { throw std::runtime_error("x"); });
  auto request = get_request("/x");
  request.method = "TRACE-ME";
  EXPECT_THROW(handler(request), std::runtime_error);
  EXPECT_TRUE(contains(registry_.render(),
                       "{listener=\"partner\",route=\"other\",method=\"other\",status=\"500\"} 1"));
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_TRUE(contains(lines_[0], " status=500 ")) << lines_[0];
}

// What a Server's deferral point would send, kept for the test; and how often it was made.
struct KeptAnswer {
  int made = 0;
  std::vector<Response> sent;
  static Respond make(void* context) {
    auto& kept = *static_cast<KeptAnswer*>(context);
    ++kept.made;
    return [&kept](Response response) { kept.sent.push_back(std::move(response)); };
  }
};

// A deferred answer is counted, logged and given its request id when it is sent, after the
// request itself is gone; at the handler's return nothing is observed.
TEST_F(RequestObserverTest, ADeferredAnswerIsObservedWhenItIsSent) {
  KeptAnswer kept;
  DeferralPoint point{.make_respond = &KeptAnswer::make, .context = &kept};
  Respond later;
  {
    const ResponseDeferral deferral(point);
    const auto handler = wrapped([&](const Request&) {
      later = defer_response();
      return Response{.status = 500, .body = "never sent"};
    });
    auto request = std::make_unique<Request>(get_request("/switch/route"));
    handler(*request);
  }
  EXPECT_TRUE(lines_.empty());
  ASSERT_TRUE(later);
  later(Response{.status = 202, .body = "{}", .route = "/switch/route", .principal_id = {}});
  ASSERT_EQ(kept.sent.size(), 1u);
  ASSERT_EQ(kept.sent[0].headers.size(), 1u);
  EXPECT_EQ(kept.sent[0].headers[0].first, "X-Request-Id");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_TRUE(contains(lines_[0], " path=/switch/route status=202 ")) << lines_[0];
  EXPECT_TRUE(contains(registry_.render(),
                       "{listener=\"partner\",route=\"/switch/route\",method=\"GET\","
                       "status=\"202\"} 1"));
}

// Nearly every answer is not deferred: nothing is made for it.
TEST_F(RequestObserverTest, AnAnswerNotDeferredMakesNoSender) {
  KeptAnswer kept;
  DeferralPoint point{.make_respond = &KeptAnswer::make, .context = &kept};
  const ResponseDeferral deferral(point);
  wrapped([](const Request&) { return Response{}; })(get_request("/x"));
  EXPECT_EQ(kept.made, 0);
  EXPECT_EQ(point.hooks, nullptr);  // the observer's hook left with its request
  EXPECT_EQ(lines_.size(), 1u);
}

TEST(RequestObserver, WithoutALogSinkStillCounts) {
  MetricsRegistry registry;
  RequestObserver quiet(registry, {});
  quiet.wrap([](const Request&) { return Response{}; }, "switch")(get_request("/x"));
  EXPECT_TRUE(contains(registry.render(),
                       "{listener=\"switch\",route=\"other\",method=\"GET\",status=\"200\"} 1"));
}

}  // namespace
}  // namespace callsight::http
