#include "common/random.hpp"

#include <array>
#include <cstdint>
#include <span>

#include "common/crypto.hpp"
#include "common/hex.hpp"

namespace callsight {

std::string random_hex(std::size_t bytes) {
  const auto raw = crypto::random_bytes(bytes);
  return to_hex(raw.data(), raw.size());
}

namespace {

constexpr int kTimeBytes = 6;  // 48 bits of milliseconds: until the year 10889

// The Unix time in milliseconds, big-endian, in the first six bytes; random bytes after it.
std::array<std::uint8_t, 16> time_then_random(std::chrono::system_clock::time_point now) {
  std::array<std::uint8_t, 16> b{};
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  for (int i = 0; i < kTimeBytes; ++i) {
    b[i] = static_cast<std::uint8_t>(millis >> (8 * (kTimeBytes - 1 - i)));
  }
  crypto::random_fill(std::span(b).subspan(kTimeBytes));
  return b;
}

// 8-4-4-4-12 hex digits, with the version's nibble and RFC 9562's variant set.
std::string uuid_text(std::array<std::uint8_t, 16> b, std::uint8_t version) {
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | (version << 4));
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  const auto hex = to_hex(b.data(), b.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace

std::string random_uuid_v4() {
  std::array<std::uint8_t, 16> b{};
  crypto::random_fill(b);
  return uuid_text(b, 4);
}

std::string time_ordered_uuid(std::chrono::system_clock::time_point now) {
  return uuid_text(time_then_random(now), 7);
}

std::string time_ordered_hex_id(std::chrono::system_clock::time_point now) {
  const auto b = time_then_random(now);
  return to_hex(b.data(), b.size());
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
