#include "http/ops_endpoints.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "test_requests.hpp"

namespace callsight::http {
namespace {

class OpsEndpointsTest : public ::testing::Test {
 protected:
  Handler handler() {
    return with_ops_endpoints(
        [](const Request&) {
          Response response;
          response.status = 401;
          return response;
        },
        {.metrics_allow = {"127.0.0.1/32", "10.5.0.0/16"},
         .metrics = [] { return std::string("m_total 1\n"); },
         .unready_reason = [this] { return unready_; }});
  }
  std::optional<std::string> unready_;
};

TEST_F(OpsEndpointsTest, MetricsOnlyForAllowedPeersNotThroughAProxy) {
  const auto ops = handler();
  const auto allowed = ops(get_request("/metrics", "10.5.3.4"));
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.body, "m_total 1\n");
  EXPECT_EQ(allowed.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(allowed.route, "/metrics");
  EXPECT_EQ(ops(get_request("/metrics", "192.0.2.1")).status, 404);
  auto proxied = get_request("/metrics");
  proxied.headers.emplace_back("x-forwarded-for", "10.5.3.4");
  EXPECT_EQ(ops(proxied).status, 404);
}

TEST_F(OpsEndpointsTest, HealthAndReadinessForEveryoneAndOtherPathsPassThrough) {
  const auto ops = handler();
  EXPECT_EQ(ops(get_request("/healthz", "192.0.2.1")).status, 200);
  EXPECT_EQ(ops(get_request("/readyz", "192.0.2.1")).body, R"({"status":"ready"})");
  unready_ = "database unavailable";
  const auto unready = ops(get_request("/readyz", "192.0.2.1"));
  EXPECT_EQ(unready.status, 503);
  EXPECT_EQ(unready.body, R"({"reason":"database unavailable","status":"unavailable"})");
  EXPECT_EQ(ops(get_request("/healthz/x")).status, 401);
  EXPECT_EQ(ops(get_request("/2.4.9/metrics")).status, 401);
  auto post = get_request("/healthz");
  post.method = "POST";
  EXPECT_EQ(ops(post).status, 405);
}

}  // namespace
}  // namespace callsight::http
