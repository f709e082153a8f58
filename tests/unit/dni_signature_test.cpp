#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "core/dni/signature.hpp"

namespace callsight::dni {
namespace {

constexpr std::string_view kSecret = "dncs-secret";
constexpr std::string_view kBody = R"({"advId":"1412","fullUrl":"https://shop.example/"})";
const TimePoint kNow{std::chrono::seconds(1767261600)};

// The expected value is Python's hmac.new(b"dncs-secret", b"1767261600." + body, sha256), the
// example docs/dynamic-numbers.md gives partners.
TEST(DniSignature, SignsTimestampDotBodyWithHmacSha256) {
  EXPECT_EQ(sign_request(kSecret, "1767261600", kBody),
            "fb48be6f3b01c320a812dd8afff23ae77b8b1b4db175fb9d0a2024de2088fef6");
  EXPECT_NE(sign_request(kSecret, "1767261601", kBody), sign_request(kSecret, "1767261600", kBody));
}

TEST(DniSignature, AcceptsAFreshCorrectSignature) {
  const auto signature = sign_request(kSecret, "1767261600", kBody);
  EXPECT_EQ(verify_signature(kSecret, "1767261600", signature, kBody, kNow), SignatureCheck::valid);
}

TEST(DniSignature, RefusesTimestampsThatAreNotUnixSeconds) {
  for (const char* bad : {"", "-1767261600", "1767261600.5", " 1767261600", "0x10", "1e9",
                          "1767261600000000000000"}) {
    EXPECT_EQ(verify_signature(kSecret, bad, sign_request(kSecret, bad, kBody), kBody, kNow),
              SignatureCheck::bad_timestamp)
        << bad;
  }
}

TEST(DniSignature, RefusesTimestampsOutsideTheWindowEitherWay) {
  EXPECT_EQ(kSignatureWindow, std::chrono::seconds(300));
  for (const auto& [timestamp, expected] : std::vector<std::pair<std::string, SignatureCheck>>{
           {"1767261300", SignatureCheck::valid},
           {"1767261900", SignatureCheck::valid},
           {"1767261299", SignatureCheck::stale},
           {"1767261901", SignatureCheck::stale},
       }) {
    EXPECT_EQ(
        verify_signature(kSecret, timestamp, sign_request(kSecret, timestamp, kBody), kBody, kNow),
        expected)
        << timestamp;
  }
}

TEST(DniSignature, RefusesAWrongOrMalformedSignature) {
  const std::string good = sign_request(kSecret, "1767261600", kBody);
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string flipped = good;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  for (const std::string& bad : {std::string(), upper, good.substr(0, 63), good + "0", flipped,
                                 sign_request("other-secret", "1767261600", kBody),
                                 sign_request(kSecret, "1767261601", kBody)}) {
    EXPECT_EQ(verify_signature(kSecret, "1767261600", bad, kBody, kNow),
              SignatureCheck::bad_signature)
        << bad;
  }
  EXPECT_EQ(verify_signature(kSecret, "1767261600", good, std::string(kBody) + " ", kNow),
            SignatureCheck::bad_signature);
}

}  // namespace
}  // namespace callsight::dni
