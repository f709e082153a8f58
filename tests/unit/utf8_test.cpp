#include "common/utf8.hpp"

#include <gtest/gtest.h>

namespace callsight {
namespace {

TEST(Utf8, AcceptsWellFormedTextOfEveryLength) {
  EXPECT_TRUE(utf8::is_valid(""));
  EXPECT_TRUE(utf8::is_valid("Malm\xC3\xB6"));  // ö
  EXPECT_TRUE(
      utf8::is_valid("abc\xE2\x82\xAC"
                     "1"));                                  // €
  EXPECT_TRUE(utf8::is_valid("\xF0\x9F\x98\x80"));           // 😀
  EXPECT_TRUE(utf8::is_valid(std::string_view("a\0b", 3)));  // NUL is a code point
  EXPECT_TRUE(utf8::is_valid("\xF4\x8F\xBF\xBF"));           // U+10FFFF
}

TEST(Utf8, RefusesLatin1OverlongSurrogatesAndTruncatedSequences) {
  EXPECT_FALSE(utf8::is_valid("Malm\xF6"));          // ISO-8859-1 ö
  EXPECT_FALSE(utf8::is_valid("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(utf8::is_valid("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(utf8::is_valid("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(utf8::is_valid("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(utf8::is_valid("\xE2\x82"));          // € cut in half
  EXPECT_FALSE(utf8::is_valid("\x80"));              // lone continuation byte
  EXPECT_FALSE(utf8::is_valid("\xFF"));
}

TEST(Utf8, SanitizeReplacesEachMaximalIllFormedSubpartWithOneReplacementCharacter) {
  EXPECT_EQ(utf8::sanitize("Malm\xF6"), "Malm\xEF\xBF\xBD");
  EXPECT_EQ(utf8::sanitize("abc\xE2\x82"), "abc\xEF\xBF\xBD");  // one U+FFFD for the cut €
  EXPECT_EQ(utf8::sanitize("\xE2\x82"
                           "x"),
            "\xEF\xBF\xBD"
            "x");
  EXPECT_EQ(utf8::sanitize("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8::sanitize("ok \xC3\xA5\xC3\xA4\xC3\xB6"), "ok \xC3\xA5\xC3\xA4\xC3\xB6");
  EXPECT_TRUE(utf8::is_valid(utf8::sanitize("\xF0\x9F\x98\xFF\xED\xA0\x80\x80")));
}

TEST(Utf8, CountsAndCutsByCodePointNotByByte) {
  EXPECT_EQ(utf8::code_points("Malm\xC3\xB6"), 5u);
  EXPECT_EQ(utf8::code_points("\xF0\x9F\x98\x80\xF0\x9F\x98\x80"), 2u);
  EXPECT_EQ(utf8::first_code_points("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 1), "\xF0\x9F\x98\x80");
  EXPECT_EQ(utf8::first_code_points("abc", 5), "abc");
  EXPECT_EQ(utf8::first_code_points("abc", 0), "");
}

TEST(Utf8, JsonTextNeverThrowsOnStoredInvalidBytes) {
  const nlohmann::json row{{"name", "Malm\xF6"}};
  EXPECT_THROW((void)row.dump(), nlohmann::json::type_error);
  EXPECT_EQ(to_json_text(row), "{\"name\":\"Malm\xEF\xBF\xBD\"}");
}

TEST(Utf8, OrderedJsonTextKeepsTheFieldOrderAndReplacesInvalidBytes) {
  nlohmann::ordered_json row;
  row["z"] = "\xE2\x82";  // a euro sign cut after two of its three bytes
  row["a"] = "ok";
  EXPECT_EQ(to_json_text(row), "{\"z\":\"\xEF\xBF\xBD\",\"a\":\"ok\"}");
}

}  // namespace
}  // namespace callsight
