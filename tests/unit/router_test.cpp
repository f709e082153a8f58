#include "http/router.hpp"

#include <gtest/gtest.h>

namespace callsight::http {
namespace {

TEST(Router, IgnoresVersionSegment) {
  EXPECT_EQ(path_segments("/2.4.9/customers/7"), (std::vector<std::string>{"customers", "7"}));
  EXPECT_EQ(path_segments("/customers/"), (std::vector<std::string>{"customers"}));
}

TEST(Router, CapturesPathValuesAndReportsAllowedMethods) {
  Router<int> router;
  router.add("GET", "/customers", 1);
  router.add("GET", "/customers/{customer_id}", 2);
  router.add("PUT", "/customers/{customer_id}", 3);

  auto m = router.match("GET", "/2.4.9/customers/42");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(*m.handler, 2);
  ASSERT_EQ(m.path_values.size(), 1u);
  EXPECT_EQ(m.path_values[0].name, "customer_id");
  EXPECT_EQ(m.path_values[0].value, "42");

  auto wrong_method = router.match("PATCH", "/customers/42");
  EXPECT_EQ(wrong_method.handler, nullptr);
  EXPECT_EQ(wrong_method.allowed_methods, (std::vector<std::string>{"GET", "PUT"}));
  EXPECT_EQ(wrong_method.allow(), "GET, PUT");

  auto unknown = router.match("GET", "/nothing");
  EXPECT_EQ(unknown.handler, nullptr);
  EXPECT_TRUE(unknown.allowed_methods.empty());
}

// Routes that capture the same first segments and differ later: the values are the winner's,
// in the order of its pattern, and no other route's.
TEST(Router, CapturesTheWinningRoutesValuesOnly) {
  Router<int> router;
  router.add("GET", "/customers/{customer_id}/blacklist/{anum}", 1);
  router.add("GET", "/customers/{customer_id}/campaigns/{campaign_id}", 2);
  router.add("GET", "/customers/{customer_id}/campaigns/sources", 3);
  const auto m = router.match("GET", "/customers/7/campaigns/9");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(*m.handler, 2);
  ASSERT_EQ(m.path_values.size(), 2u);
  EXPECT_EQ(m.path_values[0].name, "customer_id");
  EXPECT_EQ(m.path_values[0].value, "7");
  EXPECT_EQ(m.path_values[1].name, "campaign_id");
  EXPECT_EQ(m.path_values[1].value, "9");
  const auto literal = router.match("GET", "/customers/7/campaigns/sources");
  EXPECT_EQ(*literal.handler, 3);
  ASSERT_EQ(literal.path_values.size(), 1u);
  EXPECT_EQ(literal.path_values[0].value, "7");
  EXPECT_EQ(literal.pattern, "/customers/{customer_id}/campaigns/sources");
}

TEST(Router, LiteralRouteWinsOverCaptureWhateverTheOrder) {
  Router<int> router;
  router.add("GET", "/customers/{customer_id}", 1);
  router.add("GET", "/customers/callbacks", 2);
  router.add("POST", "/customers/callbacks", 3);
  EXPECT_EQ(*router.match("GET", "/customers/callbacks").handler, 2);
  EXPECT_EQ(*router.match("GET", "/customers/7").handler, 1);
  // The literal route decides the allowed methods; it does not fall back to the capture.
  const auto put = router.match("PUT", "/customers/callbacks");
  EXPECT_EQ(put.handler, nullptr);
  EXPECT_EQ(put.allowed_methods, (std::vector<std::string>{"GET", "POST"}));
}

TEST(Router, LiteralRouteWinsOverCaptureWhenAddedFirst) {
  Router<int> router;
  router.add("POST", "/users/activate", 1);
  router.add("GET", "/users/{user_id}", 2);
  EXPECT_EQ(*router.match("POST", "/users/activate").handler, 1);
  EXPECT_EQ(*router.match("GET", "/users/5").handler, 2);
}

TEST(Router, ListsEveryMethodAndPatternAsRegistered) {
  Router<int> router;
  router.add("GET", "/customers/{customer_id}", 1);
  router.add("POST", "/2.4.9/customers", 2);
  router.add("PUT", "/customers/{customer_id}", 3);
  using Routes = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(router.routes(), (Routes{{"GET", "/customers/{customer_id}"},
                                     {"PUT", "/customers/{customer_id}"},
                                     {"POST", "/customers"}}));
}

TEST(Router, NamesTheMatchedPatternWithoutIdsVersionOrQuery) {
  Router<int> router;
  router.add("GET", "/customers/{customer_id}", 1);
  router.add("GET", "/miscellaneous/ping", 2);
  EXPECT_EQ(router.match("GET", "/2.4.9/customers/42").pattern, "/customers/{customer_id}");
  EXPECT_EQ(router.match("DELETE", "/customers/42").pattern, "/customers/{customer_id}");
  EXPECT_EQ(router.match("GET", "/miscellaneous/ping").pattern, "/miscellaneous/ping");
  EXPECT_EQ(router.match("GET", "/customers/42/nothing").pattern, "");
}

}  // namespace
}  // namespace callsight::http
