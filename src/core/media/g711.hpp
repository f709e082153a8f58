#pragma once

#include <cstdint>

// G.711 (ITU-T, 1988) decoding: each 8-bit code is one 16-bit linear sample at 8 kHz.
namespace callsight::media {

std::int16_t decode_ulaw(std::uint8_t code);  // PCMU, RTP payload type 0
std::int16_t decode_alaw(std::uint8_t code);  // PCMA, RTP payload type 8

}  // namespace callsight::media
