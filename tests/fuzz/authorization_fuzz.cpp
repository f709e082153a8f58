// The Authorization header parsers: Digest auth-params and Basic base64 credentials, through
// Authenticator::authenticate as every API request meets them.
// The input is the header value. "NONCE" and "OPAQUE" in it are replaced by a nonce and the
// opaque this authenticator issued, so that the fuzzer gets past the nonce check to the
// response comparison and the replay memory.
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "fuzz_target.hpp"
#include "http/auth.hpp"

namespace {

using namespace callsight;

// Any user exists; its password hash has one PBKDF2 iteration so Basic stays fast.
// Password "secret"; HA1s are of "acme:Callsight API:secret".
std::shared_ptr<const http::StoredCredentials> lookup(std::string_view) {
  auto stored = std::make_shared<http::StoredCredentials>();
  stored->principal_id = 1;
  stored->password_hash =
      "pbkdf2-sha256$1$00112233445566778899aabbccddeeff$"
      "8a1c1b8f5e2b8a0b8f3a3b6f1f7c0c4e2f0e7f5b1e6c2e9a4f3d2c1b0a998877";
  stored->digest_ha1_md5 = "939e7578ed9e3c518a452acee763bce9";
  stored->digest_ha1_sha256 = "8e1c4c9a4c4a8f5f0d7a2b1f3e9c6d5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e";
  stored->allowed_cidrs = {"10.0.0.0/8", "::1"};
  return stored;
}

// A challenge's field value, e.g. nonce="..." of the first WWW-Authenticate header.
std::string challenge_field(const http::Response& response, const std::string& name) {
  const auto& header = response.headers.front().second;
  const auto start = header.find(name + "=\"") + name.size() + 2;
  return header.substr(start, header.find('"', start) - start);
}

struct Fixture {
  ManualClock clock{parse_utc("2024-01-15 12:00:00").value()};
  http::Authenticator authenticator{lookup, clock, std::string(64, 'a')};
  std::string nonce;
  std::string opaque;

  Fixture() {
    const auto challenge = authenticator.authenticate(http::Request{});
    nonce = challenge_field(challenge.failure, "nonce");
    opaque = challenge_field(challenge.failure, "opaque");
  }
};

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

CALLSIGHT_FUZZ_TARGET(authorization) {
  static Fixture fixture;
  std::string header(input);
  replace_all(header, "NONCE", fixture.nonce);
  replace_all(header, "OPAQUE", fixture.opaque);
  http::Request request;
  request.method = "GET";
  request.target = "/customers?customer_id=7";
  request.remote_address = "10.1.2.3";
  request.headers.emplace_back("authorization", std::move(header));
  fixture.authenticator.authenticate(request);
}
