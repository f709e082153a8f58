#include "core/caller_area.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace callsight {
namespace {

TEST(CallerArea, LandlineGivesNationalAreaCodeAndAreaName) {
  EXPECT_EQ(caller_area_name("+46812345678"), "08 Stockholm");
  EXPECT_EQ(caller_area_name("+4631123456"), "031 Gothenburg");
}

TEST(CallerArea, ForeignLandlineUsesThatCountrysNationalForm) {
  EXPECT_EQ(caller_area_name("+441214960000"), "0121 Birmingham");
}

TEST(CallerArea, MobileGivesOnlyItsNationalDestinationCode) {
  EXPECT_EQ(caller_area_name("+46701234567"), "070");
}

TEST(CallerArea, AnythingButAValidInternationalNumberGivesEmpty) {
  EXPECT_EQ(caller_area_name("anonymous"), "");
  EXPECT_EQ(caller_area_name(""), "");
  EXPECT_EQ(caller_area_name("0812345678"), "");  // national form: no country to read it by
  EXPECT_EQ(caller_area_name("+4612"), "");       // too short to be a number
}

// Answers are memoised; the memo must key on the whole number, not a prefix of it.
TEST(CallerArea, EachNumberKeepsItsOwnAnswerWhenAskedAgain) {
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(caller_area_name("+46812345678"), "08 Stockholm");
    EXPECT_EQ(caller_area_name("+468123456789012"), "");  // the same start, too long
    EXPECT_EQ(caller_area_name("+46701234567"), "070");
  }
}

TEST(CallerArea, SharedGeocoderAnswersFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&results, i] {
      for (int n = 0; n < 50; ++n) {
        results[i] = caller_area_name(i % 2 ? "+46812345678" : "+441214960000");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i], i % 2 ? "08 Stockholm" : "0121 Birmingham");
  }
}

}  // namespace
}  // namespace callsight
