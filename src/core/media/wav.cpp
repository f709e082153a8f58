#include "core/media/wav.hpp"

#include <limits>

#include "core/media/media_error.hpp"

namespace callsight::media {

namespace {

void put_le(std::string& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

std::string wav_header(std::uint64_t samples, int channels, int sample_rate) {
  constexpr std::uint32_t kHeaderBytesAfterSize = 36;
  const std::uint64_t data_bytes = samples * 2;
  // RIFF sizes are 32 bits: about 74 hours of 8 kHz stereo.
  if (data_bytes + kHeaderBytesAfterSize > std::numeric_limits<std::uint32_t>::max()) {
    throw MediaError("wav: audio longer than a WAV file can hold");
  }
  const auto block_align = static_cast<std::uint32_t>(channels * 2);
  std::string out;
  out += "RIFF";
  put_le(out, static_cast<std::uint32_t>(data_bytes + kHeaderBytesAfterSize), 4);
  out += "WAVEfmt ";
  put_le(out, 16, 4);  // size of the fmt chunk
  put_le(out, 1, 2);   // PCM
  put_le(out, static_cast<std::uint32_t>(channels), 2);
  put_le(out, static_cast<std::uint32_t>(sample_rate), 4);
  put_le(out, static_cast<std::uint32_t>(sample_rate) * block_align, 4);  // bytes per second
  put_le(out, block_align, 2);
  put_le(out, 16, 2);  // bits per sample
  out += "data";
  put_le(out, static_cast<std::uint32_t>(data_bytes), 4);
  return out;
}

std::string wav_sample_bytes(std::span<const std::int16_t> samples) {
  std::string out;
  out.reserve(samples.size() * 2);
  for (const auto sample : samples) put_le(out, static_cast<std::uint16_t>(sample), 2);
  return out;
}

std::string wav_file(std::span<const std::int16_t> interleaved, int channels, int sample_rate) {
  return wav_header(interleaved.size(), channels, sample_rate) + wav_sample_bytes(interleaved);
}

}  // namespace callsight::media
