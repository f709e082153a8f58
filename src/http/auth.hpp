#pragma once

#include <any>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/types.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace callsight::http {

// The realm is part of the stored Digest HA1 values: changing it invalidates every password.
inline constexpr std::string_view kDigestRealm = "Callsight API";

// What the authenticator needs to know of an account; http/ knows no store.
struct StoredCredentials {
  Id principal_id = 0;
  std::string password_hash;      // from hash_password()
  std::string digest_ha1_md5;     // hex
  std::string digest_ha1_sha256;  // hex
  std::vector<std::string> allowed_cidrs;
  // Whatever the lookup wants back on success (the account it read), so the caller need not
  // read it a second time.
  std::any principal;
};

struct AuthOutcome {
  bool ok = false;
  Id principal_id = 0;  // set when ok
  // The account as the lookup gave it, when ok: its principal is read in place, not copied.
  std::shared_ptr<const StoredCredentials> credentials;
  Response failure;  // 401 with challenges and an empty body, or 403 with a JSON error
  // A password was checked and was wrong, or the user is unknown: what a guesser causes.
  // Missing credentials, stale nonces and replays are not counted as such.
  bool wrong_credentials = false;
};

// HTTP Digest (RFC 7616: MD5 and SHA-256, qop=auth) and HTTP Basic, then the IP allow-list.
// Nonces are HMAC-signed with nonce_secret and expire; nonce counts are remembered (in this
// process) so a replayed (nonce, nc) pair is refused. Nodes given the same nonce_secret
// accept each other's nonces, so a client may alternate between them.
class Authenticator {
 public:
  // Null for an unknown user. Shared, so a lookup may answer from a cache without a copy.
  using Lookup = std::function<std::shared_ptr<const StoredCredentials>(std::string_view username)>;

  // nonce_secret: hex, at least 32 bytes of entropy; empty means a random one of this process.
  Authenticator(Lookup lookup, const Clock& clock, std::string_view nonce_secret = {},
                std::chrono::seconds nonce_lifetime = std::chrono::seconds(300));
  ~Authenticator();

  AuthOutcome authenticate(const Request& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callsight::http
