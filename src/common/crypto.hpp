#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The only place that calls OpenSSL's crypto (TLS stays in http/). Failures of the library
// itself throw std::runtime_error.
namespace callsight::crypto {

using Bytes = std::vector<unsigned char>;
using Sha256 = std::array<unsigned char, 32>;

inline std::span<const unsigned char> bytes_of(std::string_view text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

// The one random source of the program (OpenSSL's CSPRNG, seeded by the kernel): every
// nonce, secret, salt, id and PIN comes from here, since none may be guessable.
void random_fill(std::span<unsigned char> out);
Bytes random_bytes(std::size_t size);

Sha256 hmac_sha256(std::span<const unsigned char> key, std::span<const unsigned char> data);
// The same as lower-case hex, the form request signatures travel in.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Lower-case hex digests.
std::string md5_hex(std::string_view data);
// The MD5 of `first` followed by `second`, without a string of the two put together (a CDR
// listing digests each row's caller after its partner's salt; bench/README.md, "CDR pages,
// 2026-12-06").
std::array<unsigned char, 16> md5(std::string_view first, std::string_view second);
std::string sha256_hex(std::string_view data);

// PBKDF2 with HMAC-SHA256 (RFC 8018); `size` bytes of derived key.
Bytes pbkdf2_hmac_sha256(std::string_view password, std::span<const unsigned char> salt,
                         int iterations, std::size_t size);

// Equal contents, compared in a time that does not depend on where they differ, so a secret
// cannot be guessed byte by byte from response times (lengths are not hidden).
bool constant_time_equals(std::span<const unsigned char> a, std::span<const unsigned char> b);
bool constant_time_equals(std::string_view a, std::string_view b);

// Overwrites a secret in memory in a way the compiler may not optimise away.
void erase_secret(std::string& secret);
void erase_secret(Bytes& secret);

}  // namespace callsight::crypto
