#include "common/base64.hpp"

#include <gtest/gtest.h>

namespace callsight {
namespace {

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(decode_base64(encode_base64(bytes)), bytes) << bytes.size();
    bytes += static_cast<char>(i * 37);
  }
}

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(encode_base64("f"), "Zg==");
  EXPECT_EQ(encode_base64("fo"), "Zm8=");
  EXPECT_EQ(encode_base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(decode_base64("Zm9vYg=="), "foob");
}

TEST(Base64, RefusesMalformedText) {
  for (const char* bad : {"Zg=", "Zg=a", "Z===", "=Zg=", "Zm9v!mFy", "Zg==Zg=="}) {
    EXPECT_FALSE(decode_base64(bad).has_value()) << bad;
  }
}

TEST(Base64, UrlSafeUnpaddedUsesDashAndUnderscore) {
  EXPECT_EQ(decode_base64url_unpadded("Zg"), "f");
  EXPECT_EQ(decode_base64url_unpadded("Zm8"), "fo");
  EXPECT_EQ(decode_base64url_unpadded("Zm9vYmFy"), "foobar");
  EXPECT_EQ(decode_base64url_unpadded(""), "");
  // "\xfb\xff" is "+/8=" in the standard alphabet.
  EXPECT_EQ(decode_base64url_unpadded("-_8"), "\xfb\xff");
}

TEST(Base64, UrlSafeUnpaddedRoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 100; ++i) {
    std::string text = encode_base64(bytes);
    while (!text.empty() && text.back() == '=') text.pop_back();
    for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
    EXPECT_EQ(decode_base64url_unpadded(text), bytes) << bytes.size();
    bytes += static_cast<char>(i * 53);
  }
}

TEST(Base64, UrlSafeUnpaddedRefusesPaddingAndTheStandardAlphabet) {
  for (const char* bad : {"Zg==", "Zm8=", "+_8", "-/8", "Z", "Zm9vY", "Zm!v"}) {
    EXPECT_FALSE(decode_base64url_unpadded(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace callsight
