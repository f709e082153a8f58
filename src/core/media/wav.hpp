#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace callsight::media {

// A RIFF WAVE file of 16-bit little-endian PCM: the 44-byte header, then the samples, channels
// interleaved. `lame` reads the format from this header.
std::string wav_file(std::span<const std::int16_t> interleaved, int channels, int sample_rate);

}  // namespace callsight::media
