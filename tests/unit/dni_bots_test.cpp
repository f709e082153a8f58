#include <gtest/gtest.h>

#include "core/dni/bots.hpp"

namespace callsight::dni {
namespace {

const std::vector<std::string> kNoDenyList;

TEST(DniBots, NamedCrawlersAreKnown) {
  for (const char* ua : {
           "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
           "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
           "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
           "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
           "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
           "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
           "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
           "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
           "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
           "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like "
           "Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1)",
           "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
           "Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
       }) {
    EXPECT_TRUE(is_known_crawler(ua)) << ua;
  }
}

TEST(DniBots, GenericTokensAreKnown) {
  for (const char* ua : {
           "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "HeadlessChrome/120.0.0.0 Safari/537.36",
           "Twitterbot/1.0",
           "Mozilla/5.0 (compatible; LinkedInBot/1.0)",
           "some crawler",
           "my-spider (+http://example.com)",
           "SiteCrawler 2.0",
           "WebSpider",
           "a BOT",
       }) {
    EXPECT_TRUE(is_known_crawler(ua)) << ua;
  }
}

TEST(DniBots, BrowsersAndPhonesAreNotCrawlers) {
  for (const char* ua : {
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36",
           "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
           "like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
           "Mozilla/5.0 (Linux; Android 9; CUBOT X19 Build/PPR1.180610.011) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
           "Mozilla/5.0 (Linux; Android 10; Cubot_Note_20) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/119.0.0.0 Mobile Safari/537.36",
           "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
           "Gecko) Version/17.1 Safari/605.1.15",
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
           "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
       }) {
    EXPECT_FALSE(is_known_crawler(ua)) << ua;
    EXPECT_FALSE(is_bot(ua, kNoDenyList)) << ua;
  }
}

TEST(DniBots, AnEmptyUserAgentIsABot) {
  EXPECT_TRUE(is_known_crawler(""));
  EXPECT_TRUE(is_bot("", kNoDenyList));
}

TEST(DniBots, TheDenyListMatchesSubstringsIgnoringCase) {
  const std::vector<std::string> deny{"", "python-requests", "CURL/"};
  EXPECT_TRUE(is_denied("Python-Requests/2.31", deny));
  EXPECT_TRUE(is_bot("curl/8.4.0", deny));
  EXPECT_FALSE(is_denied("Mozilla/5.0 Firefox/121.0", deny));
  EXPECT_FALSE(is_bot("Mozilla/5.0 Firefox/121.0", deny));
  EXPECT_FALSE(is_denied("anything", {""}));
}

TEST(DniBots, ADenyListEntryMatchesAnywhereInTheUserAgentButNotAcrossOtherText) {
  const std::vector<std::string> deny{"ScraperCo"};
  EXPECT_TRUE(is_bot("Mozilla/5.0 (X11; Linux x86_64) scraperco-fetch/1.2 Chrome/120.0", deny));
  EXPECT_FALSE(is_bot("Mozilla/5.0 (X11; Linux x86_64) Scraper Co Chrome/120.0", deny));
}

TEST(DniBots, AGoodDenyListHasNoProblem) {
  EXPECT_EQ(deny_list_problem({}), std::nullopt);
  EXPECT_EQ(deny_list_problem({"python-requests", "Grüße-Crawler", std::string(200, 'x')}),
            std::nullopt);
  EXPECT_EQ(deny_list_problem(std::vector<std::string>(kDenyListMaxEntries, "curl/")),
            std::nullopt);
}

TEST(DniBots, ABadDenyListEntryIsNamedByItsPlaceAndNeverQuoted) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"curl/", ""}, "entry 2 is empty"},
      {{"   "}, "entry 1 is empty"},
      {{"ok", "ok", std::string(201, 'y')}, "entry 3 is longer than 200 characters"},
      {{"bad\xff\xfe"}, "entry 1 is not UTF-8 text"},
      {{std::string("nul\0in", 6)}, "entry 1 holds a control character"},
      {{"tab\tin"}, "entry 1 holds a control character"},
  };
  for (const auto& [deny_list, problem] : cases) {
    EXPECT_EQ(deny_list_problem(deny_list), problem);
  }
  EXPECT_EQ(deny_list_problem(std::vector<std::string>(kDenyListMaxEntries + 1, "curl/")),
            "at most 100 entries");
}

}  // namespace
}  // namespace callsight::dni
