#include "common/text.hpp"

#include <gtest/gtest.h>

namespace callsight {
namespace {

TEST(AsciiCase, MapsAsciiLettersOnly) {
  EXPECT_EQ(ascii_lower("Content-Type: X-1"), "content-type: x-1");
  EXPECT_EQ(ascii_upper("get /a-Z"), "GET /A-Z");
  // Bytes of UTF-8 text (here "Ä") pass unchanged whatever the locale.
  EXPECT_EQ(ascii_lower("\xC3\x84Z"), "\xC3\x84z");
  EXPECT_EQ(ascii_upper("\xC3\xA4z"), "\xC3\xA4Z");
}

TEST(AsciiCase, EqualsIgnoringCase) {
  EXPECT_TRUE(ascii_iequals("SHA-256", "sha-256"));
  EXPECT_TRUE(ascii_iequals("", ""));
  EXPECT_FALSE(ascii_iequals("MD5", "MD5-sess"));
  EXPECT_FALSE(ascii_iequals("md5", "md6"));
  EXPECT_FALSE(ascii_iequals("\xC3\x84", "\xC3\xA4"));
}

TEST(AsciiWordChar, LettersDigitsAndUnderscoreOnly) {
  for (const char c : std::string_view("azAZ09_")) EXPECT_TRUE(is_ascii_word_char(c)) << c;
  for (const char c : std::string_view(" :-.$\"\xC3\x84")) {
    EXPECT_FALSE(is_ascii_word_char(c)) << static_cast<int>(c);
  }
}

}  // namespace
}  // namespace callsight
