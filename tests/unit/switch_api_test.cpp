#include "switch/switch_api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store_test_support.hpp"
#include "switch/switch_wire.hpp"

namespace callsight::switching {
namespace {

class SwitchApiTest : public SqlStoreFixture {
 protected:
  SwitchApiTest()
      : SqlStoreFixture("2024-01-15 12:00:00"),
        router_(*store_, clock_, metrics_),
        edges_(metrics_, clock_),
        handler_(make_switch_handler(router_, edges_, "s3cret")) {}

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
  EdgeMetrics edges_;
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

TEST_F(SwitchApiTest, ABatchAppliesWhatItCanAndReportsTheEdgesSpool) {
  const auto batch = [&](const std::string& events, const std::string& edge = "edge-1:5060") {
    return send("POST", "/switch/events/batch",
                R"({"edge":")" + edge + R"(","depth":"7","dropped":2,"lost":"1","events":[)" +
                    events + "]}");
  };
  const auto at = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count() -
      4);
  const auto answered = batch(R"({"call_id":"nobody","event":"answered","at":)" + at +
                              R"(},{"call_id":"x","event":"exploded","at":1},42)");
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.route, "/switch/events/batch");
  EXPECT_EQ(nlohmann::json::parse(answered.body),
            nlohmann::json::parse(R"({"applied":0,"unknown_calls":1,"skipped":2})"));
  const auto shown = metrics_.render();
  for (const auto* line : {"callsight_edge_spool_depth{edge=\"edge-1:5060\"} 7\n",
                           "callsight_edge_spool_lag_seconds{edge=\"edge-1:5060\"} 4\n",
                           "callsight_edge_spool_dropped_events{edge=\"edge-1:5060\"} 2\n",
                           "callsight_edge_spool_lost_events{edge=\"edge-1:5060\"} 1\n",
                           "callsight_call_events_unknown_call_total 1\n"}) {
    EXPECT_NE(shown.find(line), std::string::npos) << line;
  }

  // The envelope is the edge's: a wrong one is refused whole, naming the field.
  EXPECT_EQ(error_field(batch("", "")), "edge");
  EXPECT_EQ(batch("", "a\"b").status, 400);  // not JSON any more
  EXPECT_EQ(error_field(batch("", std::string(65, 'e'))), "edge");
  EXPECT_EQ(error_field(send("POST", "/switch/events/batch", R"({"edge":"e","events":{}})")),
            "events");
  std::string too_many;
  for (std::size_t i = 0; i <= kMaxBatchEvents; ++i) too_many += std::string(i ? "," : "") + "{}";
  EXPECT_EQ(error_field(batch(too_many)), "events");
  EXPECT_EQ(metrics_.render().find("edge=\"eee"), std::string::npos);
}

TEST_F(SwitchApiTest, AnEdgeGetsTheRoutesPageByPageAndHearsWhenItsCopyIsCurrent) {
  const auto started = std::chrono::system_clock::now();
  const auto first = send("POST", "/switch/routes", R"({"edge":"e1","version":"","page":0})");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.route, "/switch/routes");
  const auto body = nlohmann::json::parse(first.body);
  EXPECT_EQ(body.at("unchanged"), "0");
  EXPECT_EQ(body.at("pages"), "1");
  EXPECT_EQ(body.at("entries"), nlohmann::json::array());  // no number in use yet
  const auto version = body.at("version").get<std::string>();
  // Given its last page, the edge has not switched to the copy yet (it loads the page first,
  // and drops the load if the table changed between pages); asking for a later page with the
  // new version is loading, not holding it: neither confirms the copy.
  const std::string sample = "callsight_edge_routes_confirmed_timestamp_seconds{edge=\"e1\"} ";
  EXPECT_EQ(metrics_.render().find(sample), std::string::npos);
  ASSERT_EQ(
      send("POST", "/switch/routes", R"({"edge":"e1","version":")" + version + R"(","page":1})")
          .status,
      200);
  EXPECT_EQ(metrics_.render().find(sample), std::string::npos);
  // A sync begun with the version: the edge holds it.
  const auto again = nlohmann::json::parse(
      send("POST", "/switch/routes", R"({"edge":"e1","version":")" + version + R"("})").body);
  EXPECT_EQ(again, nlohmann::json({{"version", version}, {"unchanged", "1"}}));
  // When the copy the edge confirmed was worked out, on the wall clock (the routes hold
  // for the test's manual clock).
  const auto shown = metrics_.render();
  const auto at = shown.find(sample);
  ASSERT_NE(at, std::string::npos);
  const double confirmed = std::stod(shown.substr(at + sample.size()));
  EXPECT_LE(
      confirmed,
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  EXPECT_GT(confirmed, std::chrono::duration<double>(started.time_since_epoch()).count());
  EXPECT_EQ(error_field(send("POST", "/switch/routes", R"({"edge":"no spaces"})")), "edge");
  EXPECT_EQ(error_field(send("POST", "/switch/routes", R"({"edge":"e1","page":-1})")), "page");
}

TEST_F(SwitchApiTest, ABatchRecordsTheCallsTheEdgeRoutedAndSkipsABadOne) {
  const auto response = send(
      "POST", "/switch/events/batch",
      R"({"edge":"e1","events":[)"
      R"({"call_id":"r1","event":"routed","dialled":"+46899999999","caller":"x","at":1705320000,)"
      R"("action":"forward","destination":"+46890510"},)"
      R"({"call_id":"r2","event":"routed","dialled":"+46899999999","at":1705320000,)"
      R"("action":"forward"}]})");
  ASSERT_EQ(response.status, 200) << response.body;
  // r1's number is nobody's; r2 names no destination to forward to.
  EXPECT_EQ(nlohmann::json::parse(response.body),
            nlohmann::json::parse(R"({"applied":0,"unknown_calls":1,"skipped":1})"));
}

TEST_F(SwitchApiTest, InvalidUtf8InTheEdgesBodiesNeverFailsTheRequest) {
  // An event's text may carry any bytes a SIP header did: they read as U+FFFD.
  const auto batch = send("POST", "/switch/events/batch",
                          "{\"edge\":\"e1\",\"events\":[{\"call_id\":\"c\xff\",\"event\":"
                          "\"hangup\",\"at\":1705320000}]}");
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(nlohmann::json::parse(batch.body).at("unknown_calls"), 1);
  // An edge's name becomes a metric label: not one with a replaced byte.
  EXPECT_EQ(error_field(send("POST", "/switch/routes", "{\"edge\":\"e\xff\"}")), "edge");
  EXPECT_EQ(error_field(send("POST", "/switch/events/batch", "{\"edge\":\"e\xc3\",\"events\":[]}")),
            "edge");
}

// A change through this node's partner API reaches the next call: the API tells the router,
// which reads its routing snapshot once an hour otherwise.
TEST_F(SwitchApiTest, PartnerApiChangesReachTheNextCallAndReadsAndVisitorsDoNot) {
  const auto partner = make_partner("acme");
  const auto customer = make_customer(partner, "K-1");
  store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
  auto source = make_source(partner, customer, "+46812345678");
  MetricsRegistry metrics;
  CallRouter router(*store_, clock_, metrics, std::chrono::hours(1));
  const auto partner_api = noting_routing_changes(
      [](const http::Request&) {
        http::Response response;
        response.body = "{}";
        return response;
      },
      router);
  int calls = 0;
  const auto destination = [&] {
    return router.route({"c-" + std::to_string(++calls), "0701234567", "+46812345678"}).destination;
  };
  const auto api = [&](std::string method, std::string target) {
    http::Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    EXPECT_EQ(partner_api(request).status, 200);
  };
  EXPECT_EQ(destination(), "+46890510");
  source.answering_number = "+46899999";
  store_->sources().update_source(source);
  api("GET", "/sources?source_id=" + std::to_string(source.id));
  api("HEAD", "/sources");
  api("POST", "/dni/heartbeat");
  EXPECT_EQ(destination(), "+46890510");
  api("PUT", "/sources");
  EXPECT_EQ(destination(), "+46899999");
}

}  // namespace
}  // namespace callsight::switching
