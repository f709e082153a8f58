#include "core/voicemail_greeting.hpp"

#include <algorithm>
#include <charconv>

#include "common/random.hpp"

namespace callsight {
namespace {

constexpr int kPinDigits = 6;
constexpr std::uint64_t kPinRange = 1'000'000;

}  // namespace

std::string record_pin_from_hex(std::string_view hex) {
  std::uint64_t value = 0;
  std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  // 2^64 is not a multiple of 10^6; the bias is below 1e-13, far under any guessing gain.
  auto pin = std::to_string(value % kPinRange);
  return std::string(kPinDigits - pin.size(), '0') + pin;
}

std::string new_record_pin() { return record_pin_from_hex(random_hex(8)); }

GreetingAudioFormat greeting_audio_format(std::string_view bytes) {
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WAVE") {
    return GreetingAudioFormat::wav;
  }
  if (bytes.substr(0, 3) == "ID3") return GreetingAudioFormat::mp3;
  const bool frame_sync = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xff &&
                          (static_cast<unsigned char>(bytes[1]) & 0xe0) == 0xe0;
  return frame_sync ? GreetingAudioFormat::mp3 : GreetingAudioFormat::none;
}

bool looks_like_audio(std::string_view bytes) {
  return greeting_audio_format(bytes) != GreetingAudioFormat::none;
}

std::string greeting_audio_marker(const VoicemailGreeting& greeting) {
  if (greeting.datalength <= 0) return {};
  return std::to_string(greeting.datalength) + " " + greeting.timestamp;
}

std::variant<std::string, AudioError> decode_greeting_audio(std::string_view base64) {
  // Encoders wrap lines, and a '+' sent without percent-encoding arrives as a space; base64
  // has no spaces of its own, so both are repaired rather than refused.
  std::string cleaned;
  cleaned.reserve(base64.size());
  for (const char c : base64) {
    if (c == ' ') {
      cleaned += '+';
    } else if (c != '\r' && c != '\n') {
      cleaned += c;
    }
  }
  auto audio = decode_base64(cleaned);
  if (!audio) return AudioError{"'sounddata' is not base64"};
  if (audio->empty()) return AudioError{"'sounddata' is empty"};
  if (audio->size() > kMaxGreetingAudioBytes) return AudioError{"'sounddata' is larger than 2 MiB"};
  if (!looks_like_audio(*audio)) return AudioError{"'sounddata' is neither WAV nor MP3"};
  return std::move(*audio);
}

}  // namespace callsight
