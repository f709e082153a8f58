#include "http/credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/hex.hpp"
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

using Bytes = std::vector<unsigned char>;

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  return to_hex(out.data(), size);
}

Bytes pbkdf2(std::string_view password, const Bytes& salt, int iterations, std::size_t size) {
  Bytes out(size);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

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
  Bytes salt(kSaltBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  const auto hash = pbkdf2(password, salt, kIterations, kHashBytes);
  std::string a1;
  a1.append(username).append(":").append(kDigestRealm).append(":").append(password);

  PasswordHashes out;
  out.password_hash = std::string(kScheme) + "$" + std::to_string(kIterations) + "$" +
                      to_hex(salt.data(), salt.size()) + "$" + to_hex(hash.data(), hash.size());
  out.digest_ha1_md5 = digest_hex(EVP_md5(), a1);
  out.digest_ha1_sha256 = digest_hex(EVP_sha256(), a1);
  OPENSSL_cleanse(a1.data(), a1.size());
  return out;
}

bool verify_password(std::string_view password_hash, std::string_view password) {
  const auto parsed = parse_hash(password_hash);
  if (!parsed) return false;
  const auto computed = pbkdf2(password, parsed->salt, parsed->iterations, parsed->hash.size());
  return CRYPTO_memcmp(computed.data(), parsed->hash.data(), computed.size()) == 0;
}

}  // namespace callsight::http
