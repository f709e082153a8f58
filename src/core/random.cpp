#include "core/random.hpp"

#include <array>
#include <cstdint>
#include <random>

#include "core/hex.hpp"

namespace callsight {
namespace {

void fill_random(std::uint8_t* data, std::size_t size) {
  thread_local std::random_device device;
  for (std::size_t i = 0; i < size; i += 4) {
    const auto word = device();
    for (std::size_t b = 0; b < 4 && i + b < size; ++b) {
      data[i + b] = static_cast<std::uint8_t>(word >> (8 * b));
    }
  }
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  auto* data = reinterpret_cast<std::uint8_t*>(raw.data());
  fill_random(data, bytes);
  return to_hex(reinterpret_cast<const unsigned char*>(data), bytes);
}

std::string random_uuid_v4() {
  std::array<std::uint8_t, 16> b{};
  fill_random(b.data(), b.size());
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const auto hex = to_hex(b.data(), b.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace callsight
