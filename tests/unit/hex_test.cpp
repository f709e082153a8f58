#include "common/hex.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callsight {
namespace {

TEST(Hex, WritesLowerCaseTwoDigitsPerByte) {
  const std::vector<unsigned char> bytes{0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(to_hex(bytes.data(), bytes.size()), "000fa5ff");
  EXPECT_EQ(to_hex(bytes.data(), 0), "");
}

TEST(Hex, RoundTripsEveryByte) {
  std::vector<unsigned char> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<unsigned char>(b));
  EXPECT_EQ(from_hex(to_hex(bytes.data(), bytes.size())), bytes);
}

TEST(Hex, ReadsEitherCase) {
  EXPECT_EQ(from_hex("A5fF"), (std::vector<unsigned char>{0xa5, 0xff}));
  EXPECT_TRUE(is_hex("0123456789abcdefABCDEF"));
  EXPECT_EQ(hex_value('F'), 15);
}

TEST(Hex, RefusesOddLengthsAndOtherCharacters) {
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_FALSE(from_hex("0x").has_value());
  EXPECT_FALSE(is_hex("12g4"));
  EXPECT_EQ(hex_value('g'), -1);
}

}  // namespace
}  // namespace callsight
