#include "switch/switch_api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store_test_support.hpp"

namespace callsight::switching {
namespace {

class SwitchApiTest : public SqlStoreFixture {
 protected:
  SwitchApiTest()
      : SqlStoreFixture("2024-01-15 12:00:00"),
        router_(*store_, clock_, metrics_),
        handler_(make_switch_handler(router_, "s3cret")) {}

  http::Response send(std::string method, std::string target, std::string body = "{}",
                      std::string secret = "s3cret") {
    http::Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    request.headers.emplace_back("x-callsight-switch-secret", std::move(secret));
    return handler_(request);
  }

  static std::string error_field(const http::Response& response) {
    return nlohmann::json::parse(response.body).at("errors").at(0).value("field", "");
  }

  MetricsRegistry metrics_;
  CallRouter router_;
  http::Handler handler_;
};

TEST_F(SwitchApiTest, TheSecretIsCheckedBeforeThePathSoStrangersLearnNoRoutes) {
  for (const auto* target : {"/switch/route", "/switch/nothing-here", "/"}) {
    const auto response = send("POST", target, "{}", "wrong");
    EXPECT_EQ(response.status, 401) << target;
    EXPECT_EQ(error_field(response), "X-Callsight-Switch-Secret");
  }
}

TEST_F(SwitchApiTest, UnknownPathsAre404AndOtherMethods405WithAllow) {
  const auto unknown = send("POST", "/switch/nothing-here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.route, "");  // never a label value of its own
  for (const auto* target : {"/switch/route", "/switch/events", "/switch/callbacks/claim"}) {
    const auto wrong_method = send("GET", target);
    EXPECT_EQ(wrong_method.status, 405) << target;
    ASSERT_EQ(wrong_method.headers.size(), 1U);
    EXPECT_EQ(wrong_method.headers[0], (std::pair<std::string, std::string>{"Allow", "POST"}));
    EXPECT_EQ(wrong_method.route, target);
  }
}

TEST_F(SwitchApiTest, EachOperationGetsItsBodyAndNamesTheRoute) {
  const auto route = send("POST", "/switch/route",
                          R"({"call_id":"c-1","caller":"+46701111111","dialled":"+46999999999"})");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.route, "/switch/route");
  EXPECT_EQ(nlohmann::json::parse(route.body).at("action"), "reject");

  const auto event = send("POST", "/switch/events",
                          R"({"call_id":"c-unknown","event":"answered","at":1705320000})");
  EXPECT_EQ(event.status, 404);
  EXPECT_EQ(error_field(event), "call_id");
  EXPECT_EQ(event.route, "/switch/events");

  const auto claim = send("POST", "/switch/callbacks/claim", R"({"limit":"many"})");
  EXPECT_EQ(claim.status, 400);
  EXPECT_EQ(error_field(claim), "limit");
  EXPECT_EQ(claim.route, "/switch/callbacks/claim");
}

}  // namespace
}  // namespace callsight::switching
