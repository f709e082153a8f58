#include "http/auth.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "common/base64.hpp"
#include "common/crypto.hpp"
#include "common/hex.hpp"
#include "common/random.hpp"
#include "common/text.hpp"
#include "core/cidr.hpp"
#include "http/credentials.hpp"
#include "http/error.hpp"

namespace callsight::http {
namespace {

using crypto::Bytes;
using Mac = crypto::Sha256;

constexpr std::size_t kSecretBytes = 32;
// Nonce = 8-byte issue time (big-endian seconds) + random bytes + HMAC-SHA256 of both.
constexpr std::size_t kNonceTimeBytes = 8;
constexpr std::size_t kNonceRandomBytes = 16;
constexpr std::size_t kNonceSignedBytes = kNonceTimeBytes + kNonceRandomBytes;
constexpr std::size_t kNonceBytes = kNonceSignedBytes + std::tuple_size_v<Mac>;
// Bounds the replay memory: one entry per nonce in use, each a fixed-size window.
constexpr std::size_t kMaxTrackedNonces = 65536;
// Clients count nc upwards, but parallel requests on one nonce may arrive slightly out of
// order; counts further than this below the highest seen are refused as possible replays.
constexpr std::uint32_t kNonceCountWindow = 64;
constexpr std::size_t kMaxCachedLogins = 10000;
constexpr std::chrono::seconds kLoginCacheLifetime{60};

Bytes nonce_secret_bytes(std::string_view hex) {
  if (hex.empty()) return crypto::random_bytes(kSecretBytes);
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() < kSecretBytes) {
    throw std::invalid_argument("the Digest nonce secret must be at least 32 bytes of hex");
  }
  return Bytes(bytes->begin(), bytes->end());
}

// RFC 7230 tchar.
bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// ---- Authorization header parsing -------------------------------------------------------

struct Credentials {
  std::string scheme;  // lower case
  std::string_view rest;
};

std::optional<Credentials> split_scheme(std::string_view header) {
  while (!header.empty() && is_space(header.front())) header.remove_prefix(1);
  std::size_t end = 0;
  while (end < header.size() && is_token_char(header[end])) ++end;
  if (end == 0 || (end < header.size() && !is_space(header[end]))) return std::nullopt;
  return Credentials{ascii_lower(header.substr(0, end)), header.substr(end)};
}

using AuthParams = std::map<std::string, std::string>;  // names lower-cased

class AuthParamParser {
 public:
  explicit AuthParamParser(std::string_view text) : text_(text) {}

  // name=value pairs separated by commas; values are tokens or quoted strings with
  // backslash escapes. A repeated name is refused: it would make the check ambiguous.
  std::optional<AuthParams> parse() {
    AuthParams params;
    while (true) {
      while (pos_ < text_.size() && (is_space(text_[pos_]) || text_[pos_] == ',')) ++pos_;
      if (pos_ == text_.size()) return params;
      const auto name = take_token();
      skip_spaces();
      if (name.empty() || !take('=')) return std::nullopt;
      skip_spaces();
      auto value = peek('"') ? take_quoted() : take_bare_value();
      if (!value || !params.emplace(ascii_lower(name), std::move(*value)).second)
        return std::nullopt;
      skip_spaces();
      if (pos_ < text_.size() && !peek(',')) return std::nullopt;
    }
  }

 private:
  void skip_spaces() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  bool take(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }

  std::string_view take_token() {
    const auto start = pos_;
    while (pos_ < text_.size() && is_token_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // Lenient beyond tchar (e.g. an unquoted uri with '/', '?', '=') so odd clients still work.
  std::optional<std::string> take_bare_value() {
    const auto start = pos_;
    while (pos_ < text_.size() && !is_space(text_[pos_]) && text_[pos_] != ',' &&
           text_[pos_] != '"') {
      ++pos_;
    }
    if (pos_ == start) return std::nullopt;
    return std::string(text_.substr(start, pos_ - start));
  }

  std::optional<std::string> take_quoted() {
    ++pos_;  // opening quote
    std::string value;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return value;
      if (c == '\\') {
        if (pos_ == text_.size()) return std::nullopt;
        value += text_[pos_++];
      } else {
        value += c;
      }
    }
    return std::nullopt;  // unterminated
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// ---- Digest algorithms ------------------------------------------------------------------

struct DigestAlgorithm {
  std::string (*hex_digest)(std::string_view) = nullptr;
  std::size_t hex_size = 0;
  std::string StoredCredentials::*ha1 = nullptr;
};

std::optional<DigestAlgorithm> digest_algorithm(std::string_view name) {
  // Absent means MD5 (RFC 7616 3.3); the -sess variants are not offered, so not accepted.
  if (name.empty() || ascii_iequals(name, "MD5")) {
    return DigestAlgorithm{crypto::md5_hex, 32, &StoredCredentials::digest_ha1_md5};
  }
  if (ascii_iequals(name, "SHA-256")) {
    return DigestAlgorithm{crypto::sha256_hex, 64, &StoredCredentials::digest_ha1_sha256};
  }
  return std::nullopt;
}

struct DigestFields {
  std::string username, realm, nonce, uri, response, qop, nc, cnonce, opaque;
  DigestAlgorithm algorithm;
  std::uint32_t nonce_count = 0;
};

std::optional<DigestFields> digest_fields(const AuthParams& params) {
  const auto get = [&params](const char* name) -> const std::string* {
    const auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  };
  const auto* algorithm_name = get("algorithm");
  const auto algorithm = digest_algorithm(algorithm_name ? *algorithm_name : "");
  if (!algorithm) return std::nullopt;
  DigestFields f;
  f.algorithm = *algorithm;
  const std::pair<const char*, std::string*> required[] = {
      {"username", &f.username}, {"realm", &f.realm}, {"nonce", &f.nonce}, {"uri", &f.uri},
      {"response", &f.response}, {"qop", &f.qop},     {"nc", &f.nc},       {"cnonce", &f.cnonce},
      {"opaque", &f.opaque}};
  for (const auto& [name, field] : required) {
    const auto* value = get(name);
    if (!value) return std::nullopt;
    *field = *value;
  }
  // A hashed username (RFC 7616 userhash) was not offered.
  const auto* userhash = get("userhash");
  if (userhash && ascii_iequals(*userhash, "true")) return std::nullopt;
  if (f.nc.size() != 8 || !is_hex(f.nc) || f.cnonce.empty() || !ascii_iequals(f.qop, "auth")) {
    return std::nullopt;
  }
  f.nonce_count = static_cast<std::uint32_t>(std::stoul(f.nc, nullptr, 16));
  if (f.nonce_count == 0) return std::nullopt;
  return f;
}

// ---- Replay memory ----------------------------------------------------------------------

enum class NonceUse { accepted, replayed, forgotten };

// Remembers, per nonce, which nonce counts were accepted. Entries go once their nonce
// expires; when full the oldest goes early, and every nonce issued no later than a dropped
// one counts as stale from then on, so forgetting never reopens a replay.
class NonceCounts {
 public:
  NonceUse use(const std::string& nonce, std::int64_t issued, std::uint32_t count,
               std::int64_t expired_before) {
    std::lock_guard lock(mutex_);
    while (!windows_.empty() && windows_.begin()->first.first < expired_before) drop_oldest();
    auto it = windows_.find({issued, nonce});
    if (it == windows_.end()) {
      if (windows_.size() >= kMaxTrackedNonces) drop_oldest();
      if (issued <= forgotten_up_to_) return NonceUse::forgotten;
      it = windows_.emplace(std::pair{issued, nonce}, Window{}).first;
    }
    return it->second.accept(count) ? NonceUse::accepted : NonceUse::replayed;
  }

 private:
  struct Window {
    std::uint32_t highest = 0;
    std::uint64_t seen = 0;  // bit i: count (highest - i) was accepted

    bool accept(std::uint32_t count) {
      if (count > highest) {
        const auto shift = count - highest;
        seen = shift >= kNonceCountWindow ? 0 : seen << shift;
        seen |= 1;
        highest = count;
        return true;
      }
      const auto offset = highest - count;
      if (offset >= kNonceCountWindow) return false;
      const auto bit = std::uint64_t{1} << offset;
      if (seen & bit) return false;
      seen |= bit;
      return true;
    }
  };

  void drop_oldest() {
    forgotten_up_to_ = std::max(forgotten_up_to_, windows_.begin()->first.first);
    windows_.erase(windows_.begin());
  }

  std::mutex mutex_;
  std::map<std::pair<std::int64_t, std::string>, Window> windows_;  // oldest issue first
  std::int64_t forgotten_up_to_ = std::numeric_limits<std::int64_t>::min();
};

// ---- Basic login cache ------------------------------------------------------------------

// PBKDF2 is slow on purpose; a client sending Basic on every request pays it once a minute.
// An entry holds the stored hash the password was checked against and a keyed tag of the
// password, so a changed password (another stored hash) or a different one never hits.
class LoginCache {
 public:
  bool contains(const std::string& username, const std::string& password_hash, const Mac& tag,
                TimePoint now) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(username);
    return it != entries_.end() && it->second.expires > now &&
           it->second.password_hash == password_hash &&
           crypto::constant_time_equals(it->second.tag, tag);
  }

  void remember(const std::string& username, const std::string& password_hash, const Mac& tag,
                TimePoint now) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxCachedLogins) {
      std::erase_if(entries_, [now](const auto& entry) { return entry.second.expires <= now; });
      if (entries_.size() >= kMaxCachedLogins) entries_.clear();
    }
    entries_[username] = Entry{tag, password_hash, now + kLoginCacheLifetime};
  }

 private:
  struct Entry {
    Mac tag;
    std::string password_hash;  // the server's own value: compared as plain text
    TimePoint expires;
  };

  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

Response allow_list_refusal(const std::string& address) {
  return error_response(403, {"ip_not_allowed", "",
                              "requests from " + address + " are not allowed for this account"});
}

AuthOutcome refused(Response response) {
  AuthOutcome outcome;
  outcome.failure = std::move(response);
  return outcome;
}

}  // namespace

struct Authenticator::Impl {
  Impl(Lookup lookup, const Clock& clock, std::string_view nonce_secret,
       std::chrono::seconds nonce_lifetime)
      : lookup_(std::move(lookup)),
        clock_(clock),
        nonce_lifetime_(nonce_lifetime),
        secret_(nonce_secret_bytes(nonce_secret)),
        cache_key_(crypto::random_bytes(kSecretBytes)),
        unknown_user_ha1_(random_hex(kSecretBytes)) {
    static constexpr std::string_view kOpaqueLabel = "opaque";
    const auto mac = crypto::hmac_sha256(secret_, crypto::bytes_of(kOpaqueLabel));
    opaque_ = to_hex(mac.data(), 16);
  }

  AuthOutcome authenticate(const Request& request) {
    const auto header = request.header("authorization");
    const auto credentials = header ? split_scheme(*header) : std::nullopt;
    if (!credentials) return challenge(false);
    if (credentials->scheme == "digest") return digest(request, credentials->rest);
    if (credentials->scheme == "basic") return basic(request, credentials->rest);
    return challenge(false);
  }

  AuthOutcome digest(const Request& request, std::string_view rest) {
    const auto params = AuthParamParser(rest).parse();
    const auto f = params ? digest_fields(*params) : std::nullopt;
    if (!f || f->realm != kDigestRealm || f->opaque != opaque_ || f->uri != request.target) {
      return challenge(false);
    }
    const auto issued = nonce_issue_time(f->nonce);
    if (!issued) return challenge(false);

    // An unknown user costs the same two hashes and is answered like a wrong password.
    auto stored = lookup_(f->username);
    const std::string& stored_ha1 = stored ? (*stored).*(f->algorithm.ha1) : unknown_user_ha1_;
    const auto ha1 = stored ? ascii_lower(stored_ha1) : stored_ha1.substr(0, f->algorithm.hex_size);
    // An account without a usable HA1 must not accept a response computed from an empty one.
    const bool usable = ha1.size() == f->algorithm.hex_size && is_hex(ha1);
    const auto ha2 = f->algorithm.hex_digest(request.method + ":" + f->uri);
    const auto expected = f->algorithm.hex_digest(ha1 + ":" + f->nonce + ":" + f->nc + ":" +
                                                  f->cnonce + ":" + f->qop + ":" + ha2);
    if (!crypto::constant_time_equals(expected, ascii_lower(f->response)) || !stored || !usable) {
      return wrong_credentials();
    }

    const auto now = clock_.now().time_since_epoch().count();
    if (now - *issued > nonce_lifetime_.count()) return challenge(true);
    switch (nonce_counts_.use(f->nonce, *issued, f->nonce_count, now - nonce_lifetime_.count())) {
      case NonceUse::accepted:
        return allow(request, std::move(stored));
      case NonceUse::forgotten:
        return challenge(true);
      case NonceUse::replayed:
        break;
    }
    return challenge(false);
  }

  AuthOutcome basic(const Request& request, std::string_view rest) {
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
    const auto decoded = decode_base64(rest);
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return challenge(false);
    const auto username = decoded->substr(0, colon);
    const std::string_view password = std::string_view(*decoded).substr(colon + 1);

    auto stored = lookup_(username);
    if (!stored) {
      verify_password(unknown_user_password_hash(), password);
      return wrong_credentials();
    }
    const auto now = clock_.now();
    const auto tag = login_tag(password);
    if (!login_cache_.contains(username, stored->password_hash, tag, now)) {
      if (!verify_password(stored->password_hash, password)) return wrong_credentials();
      login_cache_.remember(username, stored->password_hash, tag, now);
    }
    return allow(request, std::move(stored));
  }

  static AuthOutcome allow(const Request& request,
                           std::shared_ptr<const StoredCredentials> stored) {
    if (!address_in_cidrs(request.remote_address, stored->allowed_cidrs)) {
      return refused(allow_list_refusal(request.remote_address));
    }
    AuthOutcome outcome;
    outcome.ok = true;
    outcome.principal_id = stored->principal_id;
    outcome.credentials = std::move(stored);
    return outcome;
  }

  AuthOutcome wrong_credentials() const {
    auto outcome = challenge(false);
    outcome.wrong_credentials = true;
    return outcome;
  }

  AuthOutcome challenge(bool stale) const {
    const std::string tail = ", nonce=\"" + issue_nonce() + "\", opaque=\"" + opaque_ + "\"" +
                             (stale ? ", stale=true" : "");
    const std::string realm = "realm=\"" + std::string(kDigestRealm) + "\"";
    Response response;
    response.status = 401;
    // Python requests joins these into one header and keeps the last Digest values (MD5);
    // curl takes the first Digest challenge (SHA-256). Both must see the same nonce.
    for (const char* algorithm : {"SHA-256", "MD5"}) {
      response.headers.emplace_back(
          "WWW-Authenticate", "Digest " + realm + ", qop=\"auth\", algorithm=" + algorithm + tail);
    }
    response.headers.emplace_back("WWW-Authenticate", "Basic " + realm + ", charset=\"UTF-8\"");
    return refused(std::move(response));
  }

  std::string issue_nonce() const {
    std::array<unsigned char, kNonceBytes> raw{};
    auto issued = static_cast<std::uint64_t>(clock_.now().time_since_epoch().count());
    for (std::size_t i = kNonceTimeBytes; i-- > 0; issued >>= 8) {
      raw[i] = static_cast<unsigned char>(issued & 0xff);
    }
    crypto::random_fill(std::span(raw).subspan(kNonceTimeBytes, kNonceRandomBytes));
    const auto mac = crypto::hmac_sha256(secret_, std::span(raw).first(kNonceSignedBytes));
    std::copy(mac.begin(), mac.end(), raw.begin() + kNonceSignedBytes);
    return to_hex(raw.data(), raw.size());
  }

  // The issue time of a nonce this process signed; nullopt for anything else.
  std::optional<std::int64_t> nonce_issue_time(std::string_view nonce) const {
    const auto raw = from_hex(nonce);
    if (!raw || raw->size() != kNonceBytes) return std::nullopt;
    const std::span<const unsigned char> nonce_bytes(*raw);
    const auto mac = crypto::hmac_sha256(secret_, nonce_bytes.first(kNonceSignedBytes));
    if (!crypto::constant_time_equals(mac, nonce_bytes.subspan(kNonceSignedBytes))) {
      return std::nullopt;
    }
    std::uint64_t issued = 0;
    for (std::size_t i = 0; i < kNonceTimeBytes; ++i) issued = issued << 8 | (*raw)[i];
    return static_cast<std::int64_t>(issued);
  }

  // The password alone, not a copy of the stored hash before it: the HMAC of those ~120 bytes
  // and the copy were 3.7% of a source read's samples (perf), the entry's hash now binds it.
  Mac login_tag(std::string_view password) const {
    return crypto::hmac_sha256(cache_key_, crypto::bytes_of(password));
  }

  static const std::string& unknown_user_password_hash() {
    static const std::string hash = hash_password("", "").password_hash;
    return hash;
  }

  Lookup lookup_;
  const Clock& clock_;
  const std::chrono::seconds nonce_lifetime_;
  const Bytes secret_;
  const Bytes cache_key_;
  const std::string unknown_user_ha1_;
  std::string opaque_;
  NonceCounts nonce_counts_;
  LoginCache login_cache_;
};

Authenticator::Authenticator(Lookup lookup, const Clock& clock, std::string_view nonce_secret,
                             std::chrono::seconds nonce_lifetime)
    : impl_(std::make_unique<Impl>(std::move(lookup), clock, nonce_secret, nonce_lifetime)) {}

Authenticator::~Authenticator() = default;

AuthOutcome Authenticator::authenticate(const Request& request) {
  return impl_->authenticate(request);
}

}  // namespace callsight::http
