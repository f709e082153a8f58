#include "common/random.hpp"

#include <array>
#include <cstdint>

#include "common/crypto.hpp"
#include "common/hex.hpp"

namespace callsight {

std::string random_hex(std::size_t bytes) {
  const auto raw = crypto::random_bytes(bytes);
  return to_hex(raw.data(), raw.size());
}

std::string random_uuid_v4() {
  std::array<std::uint8_t, 16> b{};
  crypto::random_fill(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const auto hex = to_hex(b.data(), b.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string random_digits(int count) {
  // A byte below 250 taken modulo 10 gives each digit 25 ways; 250-255 would favour 0-5, so
  // those bytes are drawn again.
  constexpr unsigned char kUnbiasedLimit = 250;
  std::string digits;
  std::array<unsigned char, 32> pool{};
  while (static_cast<int>(digits.size()) < count) {
    crypto::random_fill(pool);
    for (const unsigned char byte : pool) {
      if (byte < kUnbiasedLimit && static_cast<int>(digits.size()) < count) {
        digits.push_back(static_cast<char>('0' + byte % 10));
      }
    }
  }
  return digits;
}

}  // namespace callsight
