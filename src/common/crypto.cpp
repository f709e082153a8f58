#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <limits>
#include <stdexcept>
#include <string>

#include "common/hex.hpp"

namespace callsight::crypto {
namespace {

int checked_int(std::size_t size) {
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::length_error("too large for OpenSSL");
  }
  return static_cast<int>(size);
}

// The digest fetched from its provider once per process. EVP_md5() and EVP_sha256() are
// legacy handles that OpenSSL 3 looks up again, under a lock, at every digest, and EVP_Digest
// allocates a context each time: a tenth of a 1000-row CDR listing (one anum_md5 per row,
// bench/README.md). Kept for the life of the process.
const EVP_MD* fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) throw std::runtime_error(std::string("no digest ") + name + " in OpenSSL");
  return md;
}

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  // One context per thread, reset by each init.
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  if (context.ctx == nullptr || EVP_DigestInit_ex2(context.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, out.data(), &size) != 1) {
    throw std::runtime_error("digest failed");
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

std::string md5_hex(std::string_view data) {
  static const EVP_MD* const md5 = fetched("MD5");
  return digest_hex(md5, data);
}

std::string sha256_hex(std::string_view data) {
  static const EVP_MD* const sha256 = fetched("SHA256");
  return digest_hex(sha256, data);
}

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
