#include <gtest/gtest.h>

#include "http/error.hpp"
#include "http/form.hpp"
#include "http/params.hpp"

namespace callsight::http {
namespace {

Request make_request(std::string target, std::string body = "",
                     std::string content_type = "application/x-www-form-urlencoded") {
  Request r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  if (!content_type.empty()) r.headers.emplace_back("content-type", content_type);
  return r;
}

int status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const HttpError& e) {
    return e.status;
  }
  return 0;
}

TEST(FormDecoding, DecodesPlusAndPercentEscapes) {
  const auto fields = decode_form("name=Daily+Loans&email=a%40b.se&empty=&flag");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{"name", "Daily Loans"}));
  EXPECT_EQ(fields[1].second, "a@b.se");
  EXPECT_EQ(fields[2].second, "");
  EXPECT_EQ(fields[3].first, "flag");
}

TEST(FormDecoding, RejectsBadPercentEscapes) {
  EXPECT_EQ(status_of([] { decode_form("a=%zz"); }), 400);
  EXPECT_EQ(status_of([] { decode_form("a=%4"); }), 400);
  EXPECT_EQ(status_of([] { decode_form("a=%"); }), 400);
}

TEST(Params, MergesQueryAndBody) {
  const auto p = Params::from_request(make_request("/customers?custnr=1", "name=X"));
  EXPECT_EQ(p.get("custnr"), "1");
  EXPECT_EQ(p.get("name"), "X");
  EXPECT_FALSE(p.get("email").has_value());
}

TEST(Params, RefusesDuplicateParametersAcrossQueryAndBody) {
  EXPECT_EQ(status_of([] { Params::from_request(make_request("/c?name=a", "name=b")); }), 400);
  EXPECT_EQ(status_of([] { Params::from_request(make_request("/c", "a=1&a=1")); }), 400);
}

TEST(Params, RefusesBodiesThatAreNotFormEncoded) {
  EXPECT_EQ(
      status_of([] { Params::from_request(make_request("/c", R"({"a":1})", "application/json")); }),
      415);
  EXPECT_EQ(status_of([] {
              Params::from_request(
                  make_request("/c", "a=1", "application/x-www-form-urlencoded; charset=UTF-8"));
            }),
            0);
}

TEST(Params, PathValueMustAgreeWithParameter) {
  auto p = Params::from_request(make_request("/customers/7?customer_id=7"));
  EXPECT_EQ(status_of([&] { p.add_path_value("customer_id", "7"); }), 0);
  EXPECT_EQ(status_of([&] { p.add_path_value("customer_id", "8"); }), 400);
}

}  // namespace
}  // namespace callsight::http
