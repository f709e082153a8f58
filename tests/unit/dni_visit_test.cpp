#include <gtest/gtest.h>

#include <string>

#include "common/utf8.hpp"
#include "core/dni/visit.hpp"

namespace callsight::dni {
namespace {

TEST(DniVisit, SplitsAbsoluteUrlsAndPaths) {
  const auto parts = split_url("HTTPS://user@Shop.Example.com:8443/offers/tv?a=1&b=2#top");
  EXPECT_EQ(parts.host, "shop.example.com");
  EXPECT_EQ(parts.path, "/offers/tv");
  EXPECT_EQ(parts.query, "a=1&b=2");
  EXPECT_EQ(split_url("https://[2001:db8::1]:80?q=1").host, "[2001:db8::1]");
  EXPECT_EQ(split_url("https://example.com").path, "/");
  const auto relative = split_url("/landing?next=https://other.example/x");
  EXPECT_EQ(relative.host, "");
  EXPECT_EQ(relative.path, "/landing");
  EXPECT_EQ(relative.query, "next=https://other.example/x");
}

TEST(DniVisit, ReadsUtmValuesAndClickIdsWhateverTheNameCase) {
  const auto facts = parse_query(
      "UTM_Source=google&utm_medium=cpc&utm_campaign=summer+sale&utm_term=tv%20deals"
      "&utm_content=ad1&gclid=abc&gbraid=g1&wbraid=w1&fbclid=f1&msclkid=m1");
  EXPECT_EQ(facts.utm.source, "google");
  EXPECT_EQ(facts.utm.medium, "cpc");
  EXPECT_EQ(facts.utm.campaign, "summer sale");
  EXPECT_EQ(facts.utm.term, "tv deals");
  EXPECT_EQ(facts.utm.content, "ad1");
  EXPECT_EQ(facts.click_ids.gclid, "abc");
  EXPECT_EQ(facts.click_ids.gbraid, "g1");
  EXPECT_EQ(facts.click_ids.wbraid, "w1");
  EXPECT_EQ(facts.click_ids.fbclid, "f1");
  EXPECT_EQ(facts.click_ids.msclkid, "m1");
  EXPECT_TRUE(facts.custom.empty());
}

TEST(DniVisit, KeepsOtherParametersInOrderAndTheFirstOfARepeatedKey) {
  const auto facts = parse_query("b=2&a=1&utm_source=x&utm_source=y&b=3&=orphan&flag");
  EXPECT_EQ(facts.utm.source, "x");
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(facts.custom, (Pairs{{"b", "2"}, {"a", "1"}, {"flag", ""}}));
  EXPECT_FALSE(facts.click_ids.any());
}

TEST(DniVisit, MalformedEscapesStayAsTypedAndBadUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(parse_query("utm_term=100%25+off%zz%4").utm.term, "100% off%zz%4");
  const auto term = parse_query("utm_term=caf%C3%A9%FF").utm.term;
  EXPECT_TRUE(utf8::is_valid(term));
  EXPECT_EQ(term, "caf\xC3\xA9\xEF\xBF\xBD");
}

TEST(DniVisit, CapsValuesAndTheNumberOfCustomParameters) {
  const std::string long_value(kMaxValueCodePoints + 10, 'x');
  EXPECT_EQ(parse_query("gclid=" + long_value).click_ids.gclid.size(), kMaxValueCodePoints);
  // Multi-byte characters are counted as code points and never cut in half.
  std::string accents;
  for (std::size_t i = 0; i < kMaxValueCodePoints + 5; ++i) accents += "%C3%A9";
  const auto term = parse_query("utm_term=" + accents).utm.term;
  EXPECT_TRUE(utf8::is_valid(term));
  EXPECT_EQ(utf8::code_points(term), kMaxValueCodePoints);
  std::string many;
  for (std::size_t i = 0; i < kMaxCustomParameters + 5; ++i)
    many += "p" + std::to_string(i) + "=1&";
  EXPECT_EQ(parse_query(many).custom.size(), kMaxCustomParameters);
}

TEST(DniVisit, GaClientIdIsTheLastTwoGroupsOfAWellFormedCookie) {
  EXPECT_EQ(ga_client_id("GA1.2.1234567890.1700000000"), "1234567890.1700000000");
  EXPECT_EQ(ga_client_id("GA1.1.42.1700000001"), "42.1700000001");
  for (const char* bad : {"", "GA1.2.1234567890", "GA1.2.abc.1700000000", "XX1.2.1.2", "GA.2.1.2",
                          "GA1.2.1.2.3", "GA1.2..2", "GA1.2.1.2 "}) {
    EXPECT_FALSE(ga_client_id(bad).has_value()) << bad;
  }
}

TEST(DniVisit, ReadsAWholeVisit) {
  const auto visit = read_visit("https://shop.example/tv?utm_source=google&gclid=G1&ref=nl",
                                "https://www.Google.com/search?q=tv", "GA1.2.111.222");
  EXPECT_EQ(visit.landing.path, "/tv");
  EXPECT_EQ(visit.query.utm.source, "google");
  EXPECT_EQ(visit.query.click_ids.gclid, "G1");
  EXPECT_EQ(visit.referrer_host, "www.google.com");
  EXPECT_EQ(visit.ga_client_id, "111.222");
}

TEST(DniVisit, CutsTheLandingUrlBeforeReadingIt) {
  const std::string url =
      "https://shop.example/?" + std::string(kMaxUrlCodePoints, 'a') + "&gclid=beyond-the-cap";
  const auto visit = read_visit(url, "", "");
  EXPECT_EQ(utf8::code_points(visit.landing_url), kMaxUrlCodePoints);
  EXPECT_EQ(visit.query.click_ids.gclid, "");
  EXPECT_TRUE(utf8::is_valid(read_visit("https://shop.example/\xff", "\xfe", "").referrer));
}

}  // namespace
}  // namespace callsight::dni
