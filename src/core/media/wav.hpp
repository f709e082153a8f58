#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace callsight::media {

// A RIFF WAVE file of 16-bit little-endian PCM: the 44-byte header, then the samples, channels
// interleaved. `lame` reads the format from this header.
std::string wav_file(std::span<const std::int16_t> interleaved, int channels, int sample_rate);

// The header alone, for `samples` interleaved samples that follow it (as wav_sample_bytes).
// Throws MediaError when they do not fit a WAV file's 32-bit sizes.
std::string wav_header(std::uint64_t samples, int channels, int sample_rate);

// Samples as a WAV file holds them: 16-bit little-endian.
std::string wav_sample_bytes(std::span<const std::int16_t> samples);

}  // namespace callsight::media
