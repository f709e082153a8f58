#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <limits>
#include <stdexcept>

#include "common/hex.hpp"

namespace callsight::crypto {
namespace {

int checked_int(std::size_t size) {
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::length_error("too large for OpenSSL");
  }
  return static_cast<int>(size);
}

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  return to_hex(out.data(), size);
}

}  // namespace

void random_fill(std::span<unsigned char> out) {
  if (RAND_bytes(out.data(), checked_int(out.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

Bytes random_bytes(std::size_t size) {
  Bytes out(size);
  random_fill(out);
  return out;
}

Sha256 hmac_sha256(std::span<const unsigned char> key, std::span<const unsigned char> data) {
  // OpenSSL reads a null key as "the previous key": an empty one must still point somewhere.
  static constexpr unsigned char kEmptyKey = 0;
  Sha256 out{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.empty() ? &kEmptyKey : key.data(), checked_int(key.size()),
           data.data(), data.size(), out.data(), &size) == nullptr ||
      size != out.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  const auto mac = hmac_sha256(bytes_of(key), bytes_of(data));
  return to_hex(mac.data(), mac.size());
}

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }

std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }

Bytes pbkdf2_hmac_sha256(std::string_view password, std::span<const unsigned char> salt,
                         int iterations, std::size_t size) {
  Bytes out(size);
  if (PKCS5_PBKDF2_HMAC(password.data(), checked_int(password.size()), salt.data(),
                        checked_int(salt.size()), iterations, EVP_sha256(), checked_int(out.size()),
                        out.data()) != 1) {
    throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

bool constant_time_equals(std::span<const unsigned char> a, std::span<const unsigned char> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  return constant_time_equals(bytes_of(a), bytes_of(b));
}

void erase_secret(std::string& secret) { OPENSSL_cleanse(secret.data(), secret.size()); }

void erase_secret(Bytes& secret) { OPENSSL_cleanse(secret.data(), secret.size()); }

}  // namespace callsight::crypto
