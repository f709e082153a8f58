#include "http/credentials.hpp"

#include <gtest/gtest.h>

#include "common/crypto.hpp"

namespace callsight::http {
namespace {

// One hash shared by the tests: each costs a deliberate ~40 ms.
const PasswordHashes& alice_hashes() {
  static const PasswordHashes hashes = hash_password("alice", "s3cret:pass");
  return hashes;
}

TEST(Credentials, VerifyAcceptsTheRightPassword) {
  EXPECT_TRUE(verify_password(alice_hashes().password_hash, "s3cret:pass"));
}

TEST(Credentials, VerifyRejectsAWrongPassword) {
  EXPECT_FALSE(verify_password(alice_hashes().password_hash, "s3cret:pasS"));
  EXPECT_FALSE(verify_password(alice_hashes().password_hash, ""));
}

TEST(Credentials, PasswordHashHasTheDocumentedFormat) {
  const auto& hash = alice_hashes().password_hash;
  EXPECT_EQ(hash.rfind("pbkdf2-sha256$100000$", 0), 0u) << hash;
  const auto salt_start = hash.find('$', 14) + 1;
  const auto hash_start = hash.find('$', salt_start) + 1;
  EXPECT_EQ(hash_start - salt_start - 1, 32u);  // 16-byte salt
  EXPECT_EQ(hash.size() - hash_start, 64u);     // 32-byte PBKDF2 output
}

TEST(Credentials, VerifyRejectsMalformedHashes) {
  const auto& good = alice_hashes().password_hash;
  const auto salt_and_hash = good.substr(good.find('$', 14));
  for (const std::string& bad :
       {std::string(), std::string("plain"), std::string("pbkdf2-sha256$$$"),
        "pbkdf2-sha1" + good.substr(13), "pbkdf2-sha256$0" + salt_and_hash,
        "pbkdf2-sha256$-5" + salt_and_hash, "pbkdf2-sha256$99999999999" + salt_and_hash,
        "pbkdf2-sha256$1x" + salt_and_hash, good.substr(0, good.size() - 2),
        good.substr(0, good.size() - 1) + "g", good + "$extra",
        "pbkdf2-sha256$100000$$" + good.substr(good.rfind('$') + 1)}) {
    EXPECT_FALSE(verify_password(bad, "s3cret:pass")) << bad;
  }
}

TEST(Credentials, SamePasswordHashesDifferentlyEachTime) {
  const auto again = hash_password("alice", "s3cret:pass");
  EXPECT_NE(again.password_hash, alice_hashes().password_hash);
  EXPECT_TRUE(verify_password(again.password_hash, "s3cret:pass"));
  // Digest HA1 values carry no salt: the protocol needs them reproducible.
  EXPECT_EQ(again.digest_ha1_md5, alice_hashes().digest_ha1_md5);
}

TEST(Credentials, DigestHa1ValuesHashUserRealmAndPassword) {
  const auto hashes = hash_password("user", "pass");
  EXPECT_EQ(hashes.digest_ha1_md5, crypto::md5_hex("user:Callsight API:pass"));
  EXPECT_EQ(hashes.digest_ha1_sha256, crypto::sha256_hex("user:Callsight API:pass"));
  EXPECT_EQ(hashes.digest_ha1_md5.size(), 32u);
  EXPECT_EQ(hashes.digest_ha1_sha256.size(), 64u);
}

}  // namespace
}  // namespace callsight::http
