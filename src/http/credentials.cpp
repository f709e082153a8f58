#include "http/credentials.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include "common/crypto.hpp"
#include "common/hex.hpp"
#include "http/auth.hpp"

namespace callsight::http {
namespace {

// Measured on the development VM (OpenSSL 3.0, 2 vCPU): one PBKDF2-HMAC-SHA256 at 100000
// iterations takes 35-50 ms, slow enough to hurt offline guessing, cheap enough per login
// (successful Basic logins are cached by the Authenticator).
constexpr int kIterations = 100000;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// Stored hashes are trusted data, but a corrupted one must not stall a request for minutes.
constexpr int kMaxIterations = 10'000'000;
constexpr std::string_view kScheme = "pbkdf2-sha256";

using crypto::Bytes;

struct ParsedHash {
  int iterations = 0;
  Bytes salt;
  Bytes hash;
};

// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"
std::optional<ParsedHash> parse_hash(std::string_view text) {
  std::array<std::string_view, 4> parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto dollar = text.find('$');
    if ((dollar == std::string_view::npos) != (i + 1 == parts.size())) return std::nullopt;
    parts[i] = text.substr(0, dollar);
    text.remove_prefix(dollar == std::string_view::npos ? text.size() : dollar + 1);
  }
  if (parts[0] != kScheme) return std::nullopt;
  ParsedHash parsed;
  const auto* end = parts[1].data() + parts[1].size();
  const auto [ptr, ec] = std::from_chars(parts[1].data(), end, parsed.iterations);
  if (ec != std::errc() || ptr != end || parsed.iterations < 1 ||
      parsed.iterations > kMaxIterations) {
    return std::nullopt;
  }
  auto salt = from_hex(parts[2]);
  auto hash = from_hex(parts[3]);
  if (!salt || !hash || salt->empty() || hash->size() != kHashBytes) return std::nullopt;
  parsed.salt = std::move(*salt);
  parsed.hash = std::move(*hash);
  return parsed;
}

}  // namespace

PasswordHashes hash_password(std::string_view username, std::string_view password) {
  const Bytes salt = crypto::random_bytes(kSaltBytes);
  const auto hash = crypto::pbkdf2_hmac_sha256(password, salt, kIterations, kHashBytes);
  std::string a1;
  a1.append(username).append(":").append(kDigestRealm).append(":").append(password);

  PasswordHashes out;
  out.password_hash = std::string(kScheme) + "$" + std::to_string(kIterations) + "$" +
                      to_hex(salt.data(), salt.size()) + "$" + to_hex(hash.data(), hash.size());
  out.digest_ha1_md5 = crypto::md5_hex(a1);
  out.digest_ha1_sha256 = crypto::sha256_hex(a1);
  crypto::erase_secret(a1);
  return out;
}

bool verify_password(std::string_view password_hash, std::string_view password) {
  const auto parsed = parse_hash(password_hash);
  if (!parsed) return false;
  const auto computed =
      crypto::pbkdf2_hmac_sha256(password, parsed->salt, parsed->iterations, parsed->hash.size());
  return crypto::constant_time_equals(computed, parsed->hash);
}

}  // namespace callsight::http
