#include "core/media/g711.hpp"

#include <array>

namespace callsight::media {

namespace {

// The codes are sent inverted (µ-law) or with even bits toggled (A-law) so that silence is not a
// run of zero bytes on the line; the rest is a sign, a 3-bit segment and a 4-bit step.
constexpr std::int16_t ulaw_to_linear(std::uint8_t code) {
  const int inverted = static_cast<std::uint8_t>(~code);
  int magnitude = (((inverted & 0x0f) << 3) + 0x84) << ((inverted & 0x70) >> 4);
  magnitude -= 0x84;
  return static_cast<std::int16_t>((inverted & 0x80) ? -magnitude : magnitude);
}

constexpr std::int16_t alaw_to_linear(std::uint8_t code) {
  const int toggled = code ^ 0x55;
  const int segment = (toggled & 0x70) >> 4;
  int magnitude = (toggled & 0x0f) << 4;
  if (segment == 0) {
    magnitude += 8;
  } else {
    magnitude = (magnitude + 0x108) << (segment - 1);
  }
  return static_cast<std::int16_t>((toggled & 0x80) ? magnitude : -magnitude);
}

template <std::int16_t (*Decode)(std::uint8_t)>
constexpr std::array<std::int16_t, 256> table() {
  std::array<std::int16_t, 256> result{};
  for (int code = 0; code < 256; ++code) result[code] = Decode(static_cast<std::uint8_t>(code));
  return result;
}

constexpr auto kUlawTable = table<ulaw_to_linear>();
constexpr auto kAlawTable = table<alaw_to_linear>();

}  // namespace

std::int16_t decode_ulaw(std::uint8_t code) { return kUlawTable[code]; }
std::int16_t decode_alaw(std::uint8_t code) { return kAlawTable[code]; }

}  // namespace callsight::media
