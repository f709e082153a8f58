#include "http/auth.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "common/base64.hpp"
#include "common/crypto.hpp"
#include "http/credentials.hpp"

namespace callsight::http {
namespace {

using namespace std::chrono_literals;

constexpr const char* kUser = "partner";
constexpr const char* kPassword = "pa:ss word";  // ':' must survive Basic's user:password

std::string hex_digest(const std::string& algorithm, const std::string& data) {
  return algorithm == "SHA-256" ? crypto::sha256_hex(data) : crypto::md5_hex(data);
}

std::vector<std::string> challenges(const Response& response) {
  std::vector<std::string> out;
  for (const auto& [name, value] : response.headers) {
    if (name == "WWW-Authenticate") out.push_back(value);
  }
  return out;
}

std::string param(const std::string& challenge, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(challenge, m, std::regex(name + "=\"([^\"]*)\""))) return "";
  return m[1];
}

struct Challenge {
  std::string nonce;
  std::string opaque;
};

Challenge challenge_of(const Response& response) {
  const auto headers = challenges(response);
  EXPECT_EQ(headers.size(), 3u);
  if (headers.empty()) return {};
  return {param(headers[0], "nonce"), param(headers[0], "opaque")};
}

struct DigestInput {
  std::string algorithm = "MD5";
  std::string method = "GET";
  std::string uri = "/customers?page=0";
  std::string username = kUser;
  std::string password = kPassword;
  std::string nc = "00000001";
  std::string cnonce = "0a4f113b";
};

std::string digest_response(const Challenge& c, const DigestInput& in) {
  const auto ha1 = hex_digest(in.algorithm, in.username + ":Callsight API:" + in.password);
  const auto ha2 = hex_digest(in.algorithm, in.method + ":" + in.uri);
  return hex_digest(in.algorithm,
                    ha1 + ":" + c.nonce + ":" + in.nc + ":" + in.cnonce + ":auth:" + ha2);
}

// The header as Python requests' HTTPDigestAuth writes it.
std::string python_digest(const Challenge& c, const DigestInput& in) {
  return "Digest username=\"" + in.username + "\", realm=\"Callsight API\", nonce=\"" + c.nonce +
         "\", uri=\"" + in.uri + "\", response=\"" + digest_response(c, in) + "\", opaque=\"" +
         c.opaque + "\", algorithm=\"" + in.algorithm + "\", qop=\"auth\", nc=" + in.nc +
         ", cnonce=\"" + in.cnonce + "\"";
}

// The header as curl --digest writes it.
std::string curl_digest(const Challenge& c, const DigestInput& in) {
  return "Digest username=\"" + in.username + "\", realm=\"Callsight API\", nonce=\"" + c.nonce +
         "\", uri=\"" + in.uri + "\", cnonce=\"" + in.cnonce + "\", nc=" + in.nc +
         ", qop=auth, response=\"" + digest_response(c, in) + "\", opaque=\"" + c.opaque +
         "\", algorithm=" + in.algorithm;
}

Request request(const std::string& authorization, const std::string& target = "/customers?page=0",
                const std::string& remote = "127.0.0.1") {
  Request r;
  r.method = "GET";
  r.target = target;
  if (!authorization.empty()) r.headers.emplace_back("authorization", authorization);
  r.remote_address = remote;
  return r;
}

const PasswordHashes& partner_hashes() {
  static const PasswordHashes hashes = hash_password(kUser, kPassword);
  return hashes;
}

// What Store::shared_secret hands every node of one database.
const std::string kNodeSecret(64, 'a');

class AuthTest : public ::testing::Test {
 protected:
  AuthTest() {
    const auto& h = partner_hashes();
    accounts_[kUser] = {
        42, h.password_hash, h.digest_ha1_md5, h.digest_ha1_sha256, {"127.0.0.0/8", "::1/128"}};
  }

  Challenge fresh_challenge() {
    const auto outcome = auth_.authenticate(request(""));
    EXPECT_EQ(outcome.failure.status, 401);
    return challenge_of(outcome.failure);
  }

  std::shared_ptr<const StoredCredentials> find(std::string_view username) {
    std::lock_guard lock(mutex_);
    const auto it = accounts_.find(std::string(username));
    if (it == accounts_.end()) return nullptr;
    return std::make_shared<const StoredCredentials>(it->second);
  }

  static void expect_plain_challenge(const AuthOutcome& outcome) {
    EXPECT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.failure.status, 401);
    EXPECT_TRUE(outcome.failure.body.empty());
    const auto headers = challenges(outcome.failure);
    ASSERT_EQ(headers.size(), 3u);
    EXPECT_EQ(headers[0].find("stale"), std::string::npos);
  }

  std::mutex mutex_;
  std::map<std::string, StoredCredentials> accounts_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'700'000'000))};
  Authenticator auth_{[this](std::string_view username) { return find(username); }, clock_,
                      kNodeSecret, 300s};
};

TEST_F(AuthTest, MissingAuthorizationGetsThreeChallengesInOrderAndAnEmptyBody) {
  const auto outcome = auth_.authenticate(request(""));
  expect_plain_challenge(outcome);
  const auto headers = challenges(outcome.failure);
  const std::regex digest(
      "Digest realm=\"Callsight API\", qop=\"auth\", algorithm=(SHA-256|MD5), "
      "nonce=\"[0-9a-f]+\", opaque=\"[0-9a-f]+\"");
  EXPECT_TRUE(std::regex_match(headers[0], digest)) << headers[0];
  EXPECT_TRUE(std::regex_match(headers[1], digest)) << headers[1];
  EXPECT_NE(headers[0].find("algorithm=SHA-256"), std::string::npos);
  EXPECT_NE(headers[1].find("algorithm=MD5"), std::string::npos);
  EXPECT_EQ(param(headers[0], "nonce"), param(headers[1], "nonce"));
  EXPECT_EQ(headers[2], "Basic realm=\"Callsight API\", charset=\"UTF-8\"");
}

TEST_F(AuthTest, EachChallengeCarriesAFreshNonce) {
  EXPECT_NE(fresh_challenge().nonce, fresh_challenge().nonce);
}

TEST_F(AuthTest, UnknownSchemeGetsChallenged) {
  expect_plain_challenge(auth_.authenticate(request("Bearer abc.def")));
}

TEST_F(AuthTest, DigestMd5AsPythonRequestsSendsItSucceeds) {
  const auto outcome = auth_.authenticate(request(python_digest(fresh_challenge(), {})));
  EXPECT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.principal_id, 42);
}

TEST_F(AuthTest, DigestSha256AsCurlSendsItSucceeds) {
  const auto outcome =
      auth_.authenticate(request(curl_digest(fresh_challenge(), {.algorithm = "SHA-256"})));
  EXPECT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.principal_id, 42);
}

TEST_F(AuthTest, DigestWithoutAlgorithmMeansMd5) {
  auto header = python_digest(fresh_challenge(), {});
  header = std::regex_replace(header, std::regex(", algorithm=\"MD5\""), "");
  EXPECT_TRUE(auth_.authenticate(request(header)).ok);
}

TEST_F(AuthTest, DigestParametersParseInAnyOrderCaseAndSpacing) {
  const auto c = fresh_challenge();
  const DigestInput in;
  const auto header = "digest   NC=" + in.nc + " ,, QOP = auth,cnonce=\"" + in.cnonce +
                      "\" , Response=\"" + digest_response(c, in) + "\",  uri=\"" + in.uri +
                      "\", Opaque=\"" + c.opaque + "\", nonce=\"" + c.nonce +
                      "\", REALM=\"Callsight API\", username=\"par\\tner\", Algorithm=md5";
  EXPECT_TRUE(auth_.authenticate(request(header)).ok);
}

TEST_F(AuthTest, DigestWrongPasswordGetsPlainChallenge) {
  expect_plain_challenge(
      auth_.authenticate(request(python_digest(fresh_challenge(), {.password = "nope"}))));
}

TEST_F(AuthTest, DigestUnknownUserGetsPlainChallenge) {
  expect_plain_challenge(
      auth_.authenticate(request(python_digest(fresh_challenge(), {.username = "stranger"}))));
}

TEST_F(AuthTest, DigestRejectsReplayedNonceCount) {
  const auto c = fresh_challenge();
  ASSERT_TRUE(auth_.authenticate(request(python_digest(c, {.nc = "00000001"}))).ok);
  expect_plain_challenge(auth_.authenticate(request(python_digest(c, {.nc = "00000001"}))));
  EXPECT_TRUE(auth_.authenticate(request(python_digest(c, {.nc = "00000002"}))).ok);
  expect_plain_challenge(auth_.authenticate(request(python_digest(c, {.nc = "00000002"}))));
}

TEST_F(AuthTest, DigestAcceptsSlightlyOutOfOrderNonceCountsOnce) {
  const auto c = fresh_challenge();
  ASSERT_TRUE(auth_.authenticate(request(python_digest(c, {.nc = "00000003"}))).ok);
  EXPECT_TRUE(auth_.authenticate(request(python_digest(c, {.nc = "00000002"}))).ok);
  expect_plain_challenge(auth_.authenticate(request(python_digest(c, {.nc = "00000002"}))));
}

TEST_F(AuthTest, DigestExpiredNonceWithCorrectResponseIsStale) {
  const auto c = fresh_challenge();
  clock_.advance(301s);
  const auto outcome = auth_.authenticate(request(python_digest(c, {})));
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure.status, 401);
  const auto headers = challenges(outcome.failure);
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_NE(headers[0].find(", stale=true"), std::string::npos) << headers[0];
  EXPECT_NE(headers[1].find(", stale=true"), std::string::npos) << headers[1];
  const Challenge renewed{param(headers[1], "nonce"), param(headers[1], "opaque")};
  EXPECT_NE(renewed.nonce, c.nonce);
  EXPECT_TRUE(auth_.authenticate(request(python_digest(renewed, {}))).ok);
}

TEST_F(AuthTest, DigestForgottenNonceStaysUnusableWhenTheClockGoesBack) {
  const auto start = clock_.now();
  const auto c = fresh_challenge();
  ASSERT_TRUE(auth_.authenticate(request(python_digest(c, {}))).ok);
  clock_.advance(301s);
  // A later success sweeps the expired nonce out of the replay memory.
  ASSERT_TRUE(auth_.authenticate(request(python_digest(fresh_challenge(), {}))).ok);
  clock_.set(start + 10s);
  const auto outcome = auth_.authenticate(request(python_digest(c, {})));
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure.status, 401);
}

TEST_F(AuthTest, DigestNonceIsGoodUntilItsLifetimeEnds) {
  const auto c = fresh_challenge();
  clock_.advance(300s);
  EXPECT_TRUE(auth_.authenticate(request(python_digest(c, {}))).ok);
}

TEST_F(AuthTest, DigestExpiredNonceWithWrongPasswordIsNotStale) {
  const auto c = fresh_challenge();
  clock_.advance(301s);
  expect_plain_challenge(auth_.authenticate(request(python_digest(c, {.password = "nope"}))));
}

TEST_F(AuthTest, DigestRejectsForgedNonce) {
  auto c = fresh_challenge();
  // Alter the issue time: the signature no longer matches.
  c.nonce[15] = c.nonce[15] == 'f' ? 'e' : 'f';
  expect_plain_challenge(auth_.authenticate(request(python_digest(c, {}))));
  expect_plain_challenge(auth_.authenticate(request(python_digest({"abc", c.opaque}, {}))));
}

TEST_F(AuthTest, DigestRejectsNonceSignedWithAnotherSecret) {
  Authenticator other([this](std::string_view username) { return find(username); }, clock_);
  const auto c = challenge_of(other.authenticate(request("")).failure);
  expect_plain_challenge(
      auth_.authenticate(request(python_digest({c.nonce, fresh_challenge().opaque}, {}))));
}

// Nodes of one deployment share the secret: a client may send its next request to another.
TEST_F(AuthTest, DigestAcceptsNonceOfAnotherNodeWithTheSameSecret) {
  Authenticator other([this](std::string_view username) { return find(username); }, clock_,
                      kNodeSecret);
  const auto c = challenge_of(other.authenticate(request("")).failure);
  EXPECT_TRUE(auth_.authenticate(request(python_digest(c, {}))).ok);
}

TEST_F(AuthTest, NonceSecretMustBeLongHex) {
  const auto lookup = [this](std::string_view username) { return find(username); };
  EXPECT_THROW(Authenticator(lookup, clock_, "abcd"), std::invalid_argument);
  EXPECT_THROW(Authenticator(lookup, clock_, std::string(64, 'x')), std::invalid_argument);
}

TEST_F(AuthTest, DigestUriMustEqualTheRequestTarget) {
  const auto c = fresh_challenge();
  expect_plain_challenge(auth_.authenticate(request(python_digest(c, {.uri = "/customers"}))));
  expect_plain_challenge(auth_.authenticate(request(python_digest(c, {.uri = "/sources?page=0"}))));
  EXPECT_TRUE(auth_.authenticate(request(python_digest(c, {}), "/customers?page=0")).ok);
}

TEST_F(AuthTest, DigestRejectsWrongRealmOpaqueQopOrAlgorithm) {
  const auto c = fresh_challenge();
  const auto good = python_digest(c, {});
  const std::pair<const char*, const char*> edits[] = {
      {"realm=\"Callsight API\"", "realm=\"Other\""},
      {"opaque=\"[0-9a-f]+\"", "opaque=\"00\""},
      {", opaque=\"[0-9a-f]+\"", ""},
      {"qop=\"auth\"", "qop=\"auth-int\""},
      {", qop=\"auth\"", ""},
      {"algorithm=\"MD5\"", "algorithm=\"MD5-sess\""},
      {"nc=00000001", "nc=0000001"},
      {"nc=00000001", "nc=0000000g"},
      {", cnonce=\"[^\"]*\"", ""},
      {"username=\"partner\"", "username=\"partner\", username=\"partner\""},
      {"cnonce=\"0a4f113b\"", "cnonce=\"0a4f113b"},
  };
  for (const auto& [from, to] : edits) {
    const auto header = std::regex_replace(good, std::regex(from), to);
    ASSERT_NE(header, good) << from;
    expect_plain_challenge(auth_.authenticate(request(header)));
  }
  EXPECT_TRUE(auth_.authenticate(request(good)).ok);
}

TEST_F(AuthTest, DigestAccountWithoutHa1IsRefused) {
  accounts_[kUser].digest_ha1_md5.clear();
  const auto c = fresh_challenge();
  // What an attacker could compute if an empty HA1 were used as is.
  const auto ha2 = hex_digest("MD5", "GET:/customers?page=0");
  const auto response = hex_digest("MD5", ":" + c.nonce + ":00000001:0a4f113b:auth:" + ha2);
  auto header = python_digest(c, {});
  header = std::regex_replace(header, std::regex("response=\"[0-9a-f]+\""),
                              "response=\"" + response + "\"");
  expect_plain_challenge(auth_.authenticate(request(header)));
}

TEST_F(AuthTest, DigestConcurrentUseAcceptsEachNonceCountOnce) {
  const auto c = fresh_challenge();
  constexpr int kCounts = 64;
  std::vector<std::string> headers;
  for (int nc = 1; nc <= kCounts; ++nc) {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", nc);
    headers.push_back(python_digest(c, {.nc = text}));
  }
  std::atomic<int> accepted = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (const auto& header : headers) accepted += auth_.authenticate(request(header)).ok;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted, kCounts);
}

TEST_F(AuthTest, BasicWithPasswordContainingColonSucceeds) {
  const auto outcome =
      auth_.authenticate(request("Basic " + encode_base64(std::string(kUser) + ":" + kPassword)));
  EXPECT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.principal_id, 42);
  // The second time comes from the login cache; it must answer the same.
  EXPECT_TRUE(
      auth_.authenticate(request("basic  " + encode_base64(std::string(kUser) + ":" + kPassword)))
          .ok);
}

TEST_F(AuthTest, SuccessHandsBackWhatTheLookupAttached) {
  accounts_[kUser].principal = std::string("the account as read");
  const auto digest = auth_.authenticate(request(python_digest(fresh_challenge(), {})));
  ASSERT_TRUE(digest.ok);
  EXPECT_EQ(std::any_cast<std::string>(digest.credentials->principal), "the account as read");
  const auto basic =
      auth_.authenticate(request("Basic " + encode_base64(std::string(kUser) + ":" + kPassword)));
  ASSERT_TRUE(basic.ok);
  EXPECT_EQ(std::any_cast<std::string>(basic.credentials->principal), "the account as read");
}

TEST_F(AuthTest, BasicWrongPasswordGetsPlainChallenge) {
  ASSERT_TRUE(
      auth_.authenticate(request("Basic " + encode_base64(std::string(kUser) + ":" + kPassword)))
          .ok);
  expect_plain_challenge(auth_.authenticate(request("Basic " + encode_base64("partner:pa"))));
  expect_plain_challenge(
      auth_.authenticate(request("Basic " + encode_base64("partner:pa:ss word "))));
}

TEST_F(AuthTest, BasicUnknownUserGetsPlainChallenge) {
  expect_plain_challenge(
      auth_.authenticate(request("Basic " + encode_base64(std::string("stranger:") + kPassword))));
}

TEST_F(AuthTest, OnlyACheckedWrongPasswordOrUnknownUserCountsAsWrongCredentials) {
  const auto c = fresh_challenge();
  EXPECT_TRUE(
      auth_.authenticate(request(python_digest(c, {.password = "nope"}))).wrong_credentials);
  EXPECT_TRUE(
      auth_.authenticate(request(python_digest(c, {.username = "stranger"}))).wrong_credentials);
  EXPECT_TRUE(
      auth_.authenticate(request("Basic " + encode_base64("partner:pa"))).wrong_credentials);
  EXPECT_TRUE(
      auth_.authenticate(request("Basic " + encode_base64("stranger:x"))).wrong_credentials);

  EXPECT_FALSE(auth_.authenticate(request("")).wrong_credentials);
  EXPECT_FALSE(auth_.authenticate(request("Basic !!!!")).wrong_credentials);
  const auto good = python_digest(c, {.nc = "00000001"});
  ASSERT_TRUE(auth_.authenticate(request(good)).ok);
  EXPECT_FALSE(auth_.authenticate(request(good)).wrong_credentials);  // a replay
  clock_.advance(301s);
  EXPECT_FALSE(auth_.authenticate(request(python_digest(c, {.nc = "00000002"}))).wrong_credentials);
}

TEST_F(AuthTest, BasicMalformedCredentialsGetPlainChallenge) {
  for (const std::string& header :
       {std::string("Basic"), std::string("Basic !!!!"), "Basic " + encode_base64("partner"),
        std::string("Basic QQ=A")}) {
    expect_plain_challenge(auth_.authenticate(request(header)));
  }
}

TEST_F(AuthTest, BasicChangedPasswordIsNotServedFromCache) {
  const auto old_header = "Basic " + encode_base64(std::string(kUser) + ":" + kPassword);
  ASSERT_TRUE(auth_.authenticate(request(old_header)).ok);
  const auto changed = hash_password(kUser, "new password");
  {
    std::lock_guard lock(mutex_);
    accounts_[kUser].password_hash = changed.password_hash;
  }
  expect_plain_challenge(auth_.authenticate(request(old_header)));
  EXPECT_TRUE(auth_.authenticate(request("Basic " + encode_base64("partner:new password"))).ok);
}

// The login cache holds a tag of the password that succeeded: another password of the same
// user, with the same stored hash, must still be checked and refused.
TEST_F(AuthTest, BasicWrongPasswordAfterACachedLoginIsRefused) {
  const auto right = "Basic " + encode_base64(std::string(kUser) + ":" + kPassword);
  ASSERT_TRUE(auth_.authenticate(request(right)).ok);
  const auto wrong = auth_.authenticate(request("Basic " + encode_base64("partner:guess")));
  EXPECT_FALSE(wrong.ok);
  EXPECT_TRUE(wrong.wrong_credentials);
  EXPECT_TRUE(auth_.authenticate(request(right)).ok);
}

TEST_F(AuthTest, AddressOutsideAllowListIsForbiddenForBothSchemes) {
  const auto basic = "Basic " + encode_base64(std::string(kUser) + ":" + kPassword);
  const auto digest = python_digest(fresh_challenge(), {});
  for (const auto& header : {basic, digest}) {
    const auto outcome = auth_.authenticate(request(header, "/customers?page=0", "203.0.113.5"));
    EXPECT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.failure.status, 403);
    EXPECT_TRUE(challenges(outcome.failure).empty());
    EXPECT_NE(outcome.failure.body.find("\"ip_not_allowed\""), std::string::npos);
    EXPECT_NE(outcome.failure.body.find("requests from 203.0.113.5 are not allowed"),
              std::string::npos)
        << outcome.failure.body;
  }
}

TEST_F(AuthTest, Ipv6LoopbackIsAllowedByPrefix128) {
  const auto outcome =
      auth_.authenticate(request(python_digest(fresh_challenge(), {}), "/customers?page=0", "::1"));
  EXPECT_TRUE(outcome.ok);
  const auto refused =
      auth_.authenticate(request(python_digest(fresh_challenge(), {}), "/customers?page=0", "::2"));
  EXPECT_EQ(refused.failure.status, 403);
}

}  // namespace
}  // namespace callsight::http
