// MD5's own functions are deprecated in OpenSSL 3 in favour of EVP; see md5() for why they are
// used here.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/rand.h>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <memory>
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

// OpenSSL 3 looks an algorithm up by name in its provider tables on every one-shot call
// (HMAC(), EVP_Digest()), which cost more than the hashing of the short texts an
// authenticated request hashes. Fetched once, with a context per thread, it costs what
// hashing costs (callsight_core_bench: HmacSha256Short, Md5HexShort).
const EVP_MD* fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) throw std::runtime_error(std::string("no ") + name + " in OpenSSL");
  return md;  // kept for the life of the process
}

const EVP_MD* sha256_md() {
  static const EVP_MD* const md = fetched("SHA256");
  return md;
}

struct ContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

EVP_MD_CTX* thread_context() {
  thread_local const std::unique_ptr<EVP_MD_CTX, ContextFree> context(EVP_MD_CTX_new());
  if (!context) throw std::runtime_error("EVP_MD_CTX_new failed");
  return context.get();
}

// The digest of the parts one after another; returns its size.
unsigned int digest_into(const EVP_MD* md,
                         std::initializer_list<std::span<const unsigned char>> parts,
                         unsigned char* out) {
  EVP_MD_CTX* context = thread_context();
  unsigned int size = 0;
  bool ok = EVP_DigestInit_ex2(context, md, nullptr) == 1;
  for (const auto part : parts) ok = ok && EVP_DigestUpdate(context, part.data(), part.size()) == 1;
  if (!ok || EVP_DigestFinal_ex(context, out, &size) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  return size;
}

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  const auto size = digest_into(md, {bytes_of(data)}, out.data());
  return to_hex(out.data(), size);
}

constexpr std::size_t kSha256BlockBytes = 64;

}  // namespace

namespace {

void rand_bytes(std::span<unsigned char> out) {
  if (RAND_bytes(out.data(), checked_int(out.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

}  // namespace

// Short draws come from a per-thread buffer of the CSPRNG's output, refilled by one call:
// RAND_bytes takes its DRBG's lock and provider path per call, which was 2.4% of a number
// request's CPU for the 16 bytes of its session id (perf). Bytes are handed out once and
// wiped as they go.
void random_fill(std::span<unsigned char> out) {
  constexpr std::size_t kBuffered = 512;
  constexpr std::size_t kLongestBuffered = 64;
  if (out.size() > kLongestBuffered) return rand_bytes(out);
  thread_local std::array<unsigned char, kBuffered> buffer{};
  thread_local std::size_t used = kBuffered;
  if (kBuffered - used < out.size()) {
    rand_bytes(buffer);
    used = 0;
  }
  std::copy_n(buffer.begin() + static_cast<std::ptrdiff_t>(used), out.size(), out.begin());
  OPENSSL_cleanse(buffer.data() + used, out.size());
  used += out.size();
}

Bytes random_bytes(std::size_t size) {
  Bytes out(size);
  random_fill(out);
  return out;
}

// RFC 2104 over the fetched SHA-256 (see fetched()): H((K ^ opad) || H((K ^ ipad) || data)),
// where K is the key, or its digest when longer than a block, padded with zeros.
Sha256 hmac_sha256(std::span<const unsigned char> key, std::span<const unsigned char> data) {
  std::array<unsigned char, kSha256BlockBytes> block{};
  if (key.size() > block.size()) {
    digest_into(sha256_md(), {key}, block.data());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  for (auto& byte : block) byte ^= 0x36;
  Sha256 inner{};
  digest_into(sha256_md(), {block, data}, inner.data());
  for (auto& byte : block) byte ^= 0x36 ^ 0x5c;
  Sha256 out{};
  digest_into(sha256_md(), {block, inner}, out.data());
  OPENSSL_cleanse(block.data(), block.size());
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  const auto mac = hmac_sha256(bytes_of(key), bytes_of(data));
  return to_hex(mac.data(), mac.size());
}

std::string md5_hex(std::string_view data) {
  const auto digest = md5(data, {});
  return to_hex(digest.data(), digest.size());
}

// OpenSSL 3.0's EVP frees and allocates a digest's state at every EVP_DigestInit_ex2, which
// made an MD5 of a short text cost twice its hashing (a CDR page hashes every row's caller:
// bench/README.md, "CDR pages written through a pointer"). MD5's own functions keep the state
// on the stack. They are the same code the EVP provider runs.
std::array<unsigned char, 16> md5(std::string_view first, std::string_view second) {
  MD5_CTX context;
  std::array<unsigned char, 16> digest{};
  if (MD5_Init(&context) != 1 || MD5_Update(&context, first.data(), first.size()) != 1 ||
      MD5_Update(&context, second.data(), second.size()) != 1 ||
      MD5_Final(digest.data(), &context) != 1) {
    throw std::runtime_error("MD5 failed");
  }
  return digest;
}

std::string sha256_hex(std::string_view data) { return digest_hex(sha256_md(), data); }

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
