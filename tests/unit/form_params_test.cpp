#include <gtest/gtest.h>

#include "common/utf8.hpp"
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

// The errors f throws (none when it does not throw).
std::vector<ApiError> errors_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const HttpError& e) {
    return e.errors;
  }
  return {};
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

TEST(Params, RefusesAValueThatIsNotUtf8NamingTheFieldNotTheValue) {
  // ISO-8859-1 "Malmö", a euro sign cut after two bytes, an overlong '/', a surrogate.
  for (const auto* bad : {"Malm%F6", "x%E2%82", "%C0%AF", "%ED%A0%80"}) {
    SCOPED_TRACE(bad);
    const auto errors = errors_of(
        [&] { Params::from_request(make_request("/c", std::string("custnr=1&name=") + bad)); });
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].code, "invalid_encoding");
    EXPECT_EQ(errors[0].field, "name");
    EXPECT_EQ(errors[0].message.find("Malm"), std::string::npos) << errors[0].message;
    EXPECT_TRUE(utf8::is_valid(errors[0].message));
  }
}

TEST(Params, ChecksTheQueryStringAndNamesEveryBadField) {
  const auto errors = errors_of(
      [] { Params::from_request(make_request("/c?city=%E2%82&ok=1", "name=%FF&email=a%40b.se")); });
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "city");
  EXPECT_EQ(errors[1].field, "name");
}

TEST(Params, NamesAParameterNameThatIsNotUtf8ByItsSanitisedForm) {
  const auto errors = errors_of([] { Params::from_request(make_request("/c", "Malm%F6=1")); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "invalid_encoding");
  EXPECT_EQ(errors[0].field, "Malm\xEF\xBF\xBD");
  // The answer renders: no raw byte reaches the body.
  const auto body = error_response(400, errors).body;
  EXPECT_TRUE(utf8::is_valid(body)) << body;
  EXPECT_NE(body.find("invalid_encoding"), std::string::npos);
}

TEST(Params, AcceptsMultiByteText) {
  const auto p = Params::from_request(
      make_request("/c?city=G%C3%B6teborg", "name=%F0%9F%98%80&%C3%A5=%E2%82%AC"));
  EXPECT_EQ(p.get("city"), "G\xC3\xB6teborg");
  EXPECT_EQ(p.get("name"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(p.get("\xC3\xA5"), "\xE2\x82\xAC");
}

TEST(Params, RefusesAPathValueThatIsNotUtf8) {
  auto p = Params::from_request(make_request("/customers/x"));
  const auto errors = errors_of([&] { p.add_path_value("customer_id", "\xF6"); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "invalid_encoding");
  EXPECT_EQ(errors[0].field, "customer_id");
}

TEST(FormDecoding, ABadEscapeNamesTheParameterAndQuotesNothing) {
  // The old message quoted the text cut at 80 bytes, which could split a character and
  // make the error itself unrenderable.
  const std::string long_value(79, 'a');
  const auto errors = errors_of([&] { decode_form("name=" + long_value + "%C3%B6%G1"); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "malformed");
  EXPECT_EQ(errors[0].field, "name");
  EXPECT_EQ(errors[0].message.find("aaa"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors_of([] { decode_form("na%F6me=%4"); }).at(0).field, "na\xEF\xBF\xBDme");
}

TEST(ErrorResponse, RendersMessagesAndFieldsThatAreNotUtf8WithoutThrowing) {
  const auto response = error_response(400, ApiError{"invalid", "na\xF6me", "cut \xE2\x82"});
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(utf8::is_valid(response.body)) << response.body;
  EXPECT_NE(response.body.find("na\xEF\xBF\xBDme"), std::string::npos) << response.body;
}

}  // namespace
}  // namespace callsight::http
