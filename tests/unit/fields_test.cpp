#include "api/fields.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http/params.hpp"

namespace callsight::api {
namespace {

http::Params params_with_body(const std::string& body) {
  http::Request request;
  request.method = "POST";
  request.target = "/customers";
  request.body = body;
  return http::Params::from_request(request);
}

std::string repeated(const std::string& character, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += character;
  return out;
}

// Limits count characters as docs/api.md says: 60 "ö" (120 bytes) fit a 60-character name.
TEST(Fields, MaxLengthCountsCodePointsNotBytes) {
  for (const std::string character : {"%C3%B6", "%E2%82%AC", "%F0%9F%98%80"}) {
    SCOPED_TRACE(character);
    const auto at_limit = params_with_body("name=" + repeated(character, 60));
    Fields fits(at_limit);
    const auto name = fits.text("name", 60);
    ASSERT_TRUE(name.has_value());
    EXPECT_GT(name->size(), 60u);
    EXPECT_FALSE(fits.has_errors());

    const auto over = params_with_body("name=" + repeated(character, 61));
    Fields refused(over);
    EXPECT_FALSE(refused.text("name", 60).has_value());
    try {
      refused.throw_if_errors();
      FAIL() << "61 characters were accepted";
    } catch (const http::HttpError& error) {
      ASSERT_EQ(error.errors.size(), 1u);
      EXPECT_EQ(error.errors[0].code, "too_long");
      EXPECT_EQ(error.errors[0].field, "name");
    }
  }
}

TEST(Fields, NonEmptyTextAndEmailCountTheSameWay) {
  const auto params =
      params_with_body("custom_1=" + repeated("%C3%A5", 40) + "&email=%C3%A5sa%40example.se");
  Fields fields(params);
  EXPECT_TRUE(fields.non_empty_text("custom_1", 40).has_value());
  EXPECT_TRUE(fields.email("email", 14).has_value());  // "åsa@example.se": 15 bytes
  EXPECT_FALSE(fields.has_errors());
}

}  // namespace
}  // namespace callsight::api
