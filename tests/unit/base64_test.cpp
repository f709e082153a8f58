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

}  // namespace
}  // namespace callsight
