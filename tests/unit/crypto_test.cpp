#include "common/crypto.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "common/hex.hpp"

namespace callsight::crypto {
namespace {

std::string hex(std::span<const unsigned char> bytes) { return to_hex(bytes.data(), bytes.size()); }

Bytes repeated(unsigned char byte, std::size_t count) { return Bytes(count, byte); }

// RFC 4231 section 4 (test case 5 truncates the output, which this API does not offer).
TEST(HmacSha256, MatchesRfc4231TestVectors) {
  struct Case {
    Bytes key;
    Bytes data;
    const char* mac;
  };
  Bytes counting_key;
  for (unsigned char b = 0x01; b <= 0x19; ++b) counting_key.push_back(b);
  const auto text = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
  const Case cases[] = {
      {repeated(0x0b, 20), text("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {text("Jefe"), text("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {repeated(0xaa, 20), repeated(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {counting_key, repeated(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {repeated(0xaa, 131), text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {repeated(0xaa, 131),
       text("This is a test using a larger than block-size key and a larger than block-size "
            "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : cases) EXPECT_EQ(hex(hmac_sha256(c.key, c.data)), c.mac);
}

// An empty key is a key of zeros, not "keep the previous key" as OpenSSL reads a null one.
TEST(HmacSha256, AcceptsAnEmptyKeyAndMessage) {
  EXPECT_EQ(hex(hmac_sha256(bytes_of(""), bytes_of(""))),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(hex(hmac_sha256(bytes_of("key"), bytes_of("a"))),
            hex(hmac_sha256(bytes_of("key"), bytes_of("a"))));
  EXPECT_NE(hex(hmac_sha256(bytes_of(""), bytes_of("a"))),
            hex(hmac_sha256(bytes_of("key"), bytes_of("a"))));
}

TEST(HmacSha256, HexIsTheLowerCaseDigest) {
  EXPECT_EQ(hmac_sha256_hex("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(Digest, Md5AndSha256MatchKnownVectors) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A CDR's anum_md5 hashes the partner's salt and the caller one after the other; across the
// 64-byte block boundary too (RFC 1321's test suite).
TEST(Digest, Md5OfTwoPartsIsTheMd5OfBoth) {
  const std::string digits =
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{64}, digits.size()}) {
    const auto digest =
        md5(std::string_view(digits).substr(0, cut), std::string_view(digits).substr(cut));
    EXPECT_EQ(hex(digest), "57edf4a22be3c955ac49da2e2107b67a") << cut;
  }
  EXPECT_EQ(hex(md5("a", "bc")), md5_hex("abc"));
}

// The PBKDF2-HMAC-SHA256 vectors published beside RFC 6070's SHA-1 ones.
TEST(Pbkdf2, MatchesPublishedVectors) {
  const auto salt = bytes_of("salt");
  EXPECT_EQ(hex(pbkdf2_hmac_sha256("password", salt, 1, 32)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  EXPECT_EQ(hex(pbkdf2_hmac_sha256("password", salt, 2, 32)),
            "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
  EXPECT_EQ(hex(pbkdf2_hmac_sha256("password", salt, 4096, 32)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

TEST(RandomBytes, HaveTheAskedLengthAndTwoDrawsDiffer) {
  EXPECT_TRUE(random_bytes(0).empty());
  const auto first = random_bytes(32);
  const auto second = random_bytes(32);
  EXPECT_EQ(first.size(), 32u);
  EXPECT_EQ(second.size(), 32u);
  EXPECT_NE(first, second);  // equal by chance once in 2^256
}

TEST(RandomBytes, FillWritesEveryByteOfTheSpanAndNoMore) {
  // Over 64 draws, a byte the fill skipped would stay 0 each time (1 in 2^512 by chance).
  std::array<unsigned char, 18> buffer{};
  std::array<unsigned char, 16> seen{};
  for (int i = 0; i < 64; ++i) {
    buffer.fill(0);
    random_fill(std::span(buffer).subspan(1, 16));
    EXPECT_EQ(buffer.front(), 0);
    EXPECT_EQ(buffer.back(), 0);
    for (std::size_t b = 0; b < seen.size(); ++b) seen[b] |= buffer[b + 1];
  }
  for (const unsigned char b : seen) EXPECT_NE(b, 0);
}

// Short draws come from a per-thread buffer: none is handed out twice, also across its
// refills (10,000 draws of 16 bytes pass through it about 300 times), and long draws bypass it.
TEST(RandomBytes, ShortDrawsNeverRepeatAcrossRefills) {
  std::set<Bytes> seen;
  for (int i = 0; i < 10'000; ++i) seen.insert(random_bytes(16));
  EXPECT_EQ(seen.size(), 10'000u);
  const auto first = random_bytes(1000);
  const auto second = random_bytes(1000);
  EXPECT_NE(first, second);
  EXPECT_LT(std::count(first.begin(), first.end(), 0), 100);  // about 4 by chance
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equals("secret", "secret"));
  EXPECT_FALSE(constant_time_equals("secret", "secreT"));
  EXPECT_FALSE(constant_time_equals("secret", "secret2"));
  EXPECT_FALSE(constant_time_equals("", "x"));
  EXPECT_TRUE(constant_time_equals("", ""));
  const Bytes a{1, 2, 3};
  EXPECT_TRUE(constant_time_equals(a, Bytes{1, 2, 3}));
  EXPECT_FALSE(constant_time_equals(a, Bytes{1, 2, 4}));
}

TEST(EraseSecret, OverwritesTheBytesAndKeepsTheLength) {
  std::string text = "password";
  erase_secret(text);
  EXPECT_EQ(text, std::string(8, '\0'));
  Bytes bytes{1, 2, 3};
  erase_secret(bytes);
  EXPECT_EQ(bytes, (Bytes{0, 0, 0}));
}

}  // namespace
}  // namespace callsight::crypto
