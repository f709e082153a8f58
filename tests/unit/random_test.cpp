#include "core/random.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace callsight {
namespace {

TEST(Random, UuidIsVersion4) {
  const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(std::regex_match(random_uuid_v4(), uuid4));
}

TEST(Random, HexTokensHaveTheAskedLengthAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto token = random_hex(16);
    EXPECT_EQ(token.size(), 32u);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace callsight
