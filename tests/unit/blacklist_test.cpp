#include "core/blacklist.hpp"

#include <gtest/gtest.h>

#include <string>

namespace callsight {
namespace {

using Numbers = std::vector<std::string>;

Numbers parsed_blacklist(std::string_view json) {
  auto result = parse_blacklist(json);
  if (const auto* error = std::get_if<BlacklistError>(&result)) {
    ADD_FAILURE() << json << ": " << error->message;
    return {};
  }
  return std::get<Numbers>(result);
}

BlacklistError error_of(std::string_view json) {
  auto result = parse_blacklist(json);
  EXPECT_TRUE(std::holds_alternative<BlacklistError>(result)) << json;
  return std::holds_alternative<BlacklistError>(result) ? std::get<BlacklistError>(result)
                                                        : BlacklistError{};
}

TEST(Blacklist, ParsesE164NumbersInTheGivenOrder) {
  EXPECT_EQ(parsed_blacklist(R"(["+46701234567","+4631123456"])"),
            (Numbers{"+46701234567", "+4631123456"}));
}

TEST(Blacklist, EmptyArrayIsTheEmptyList) { EXPECT_TRUE(parsed_blacklist("[]").empty()); }

TEST(Blacklist, SeparatorsAreDroppedSoSpellingsOfOneNumberCollapse) {
  EXPECT_EQ(parsed_blacklist(R"(["+46 70-123 45 67","+46701234567","+46 31 123456"])"),
            (Numbers{"+46701234567", "+4631123456"}));
}

TEST(Blacklist, NationalNumberIsRefusedNamingItsIndex) {
  const auto error = error_of(R"(["+46701234567","0701234567"])");
  EXPECT_EQ(error.index, 1);
  EXPECT_EQ(error.message.rfind("phonenrs[1]: ", 0), 0u) << error.message;
}

TEST(Blacklist, LettersAndEmptyEntriesAreRefused) {
  EXPECT_EQ(error_of(R"(["+46abc"])").index, 0);
  EXPECT_EQ(error_of(R"(["+46701234567",""])").index, 1);
}

TEST(Blacklist, NonStringEntryIsRefused) {
  const auto error = error_of(R"(["+46701234567",46701234567])");
  EXPECT_EQ(error.index, 1);
  EXPECT_NE(error.message.find("string"), std::string::npos);
  EXPECT_EQ(error_of(R"([null])").index, 0);
}

TEST(Blacklist, DocumentThatIsNotAnArrayIsRefusedAsAWhole) {
  for (const char* json : {"", "+46701234567", R"("+46701234567")", R"({"a":1})", "[", "nul"}) {
    EXPECT_EQ(error_of(json).index, -1) << json;
  }
}

TEST(Blacklist, AtMostTheCapIsAccepted) {
  const auto array_of = [](std::size_t n) {
    std::string json = "[";
    for (std::size_t i = 0; i < n; ++i) {
      json += (i ? ",\"+4670" : "\"+4670") + std::to_string(1000000 + i) + "\"";
    }
    return json + "]";
  };
  EXPECT_EQ(parsed_blacklist(array_of(kBlacklistMaxNumbers)).size(), kBlacklistMaxNumbers);
  const auto error = error_of(array_of(kBlacklistMaxNumbers + 1));
  EXPECT_EQ(error.index, -1);
  EXPECT_NE(error.message.find(std::to_string(kBlacklistMaxNumbers)), std::string::npos);
}

}  // namespace
}  // namespace callsight
