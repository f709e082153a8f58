#include <gtest/gtest.h>

#include "core/dni/site_origin.hpp"

namespace callsight::dni {
namespace {

TEST(DniSiteOrigin, AnOriginIsSchemeAndAuthorityInLowerCase) {
  EXPECT_EQ(origin_of_url("https://Shop.Example/offers?x=1#top"), "https://shop.example");
  EXPECT_EQ(origin_of_url("HTTP://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(origin_of_url("https://shop.example?x=/y"), "https://shop.example");
  // User info is not part of an origin: "https://shop.example@evil.example" is evil.example.
  EXPECT_EQ(origin_of_url("https://shop.example@evil.example/"), "https://evil.example");
}

TEST(DniSiteOrigin, OnlyAbsoluteHttpUrlsHaveAnOrigin) {
  for (const char* url : {"", "/offers", "shop.example/offers", "ftp://shop.example/",
                          "javascript://shop.example", "https:///path", "https://:443/"}) {
    EXPECT_EQ(origin_of_url(url), std::nullopt) << url;
  }
}

TEST(DniSiteOrigin, AllowedOriginsCompareExactly) {
  const std::vector<std::string> allowed{"https://shop.example", "http://localhost:8000"};
  EXPECT_TRUE(is_allowed_origin("https://shop.example", allowed));
  EXPECT_TRUE(is_allowed_origin("http://localhost:8000", allowed));
  for (const char* origin : {"https://shop.example.evil", "https://evil-shop.example",
                             "http://shop.example", "https://shop.example:8443", "null", ""}) {
    EXPECT_FALSE(is_allowed_origin(origin, allowed)) << origin;
  }
  EXPECT_FALSE(is_allowed_origin("https://shop.example", {}));
}

}  // namespace
}  // namespace callsight::dni
