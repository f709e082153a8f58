#include "core/voicemail_greeting.hpp"

#include <algorithm>
#include <charconv>

#include "core/random.hpp"

namespace callsight {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  const auto pos = kBase64Alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

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

std::string encode_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t chunk = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      const auto byte = k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u;
      chunk = (chunk << 8) | byte;
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? kBase64Alphabet[(chunk >> (18 - 6 * k)) & 0x3f] : '=';
    }
  }
  return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t chunk = 0;
    int padding = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      int value = 0;
      if (c == '=' && last && k >= 2) {
        ++padding;
      } else if (padding > 0 || (value = base64_value(c)) < 0) {
        return std::nullopt;
      }
      chunk = (chunk << 6) | static_cast<std::uint32_t>(value);
    }
    for (int k = 0; k < 3 - padding; ++k) out += static_cast<char>((chunk >> (16 - 8 * k)) & 0xff);
  }
  return out;
}

bool looks_like_audio(std::string_view bytes) {
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WAVE") {
    return true;
  }
  if (bytes.substr(0, 3) == "ID3") return true;
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xff &&
         (static_cast<unsigned char>(bytes[1]) & 0xe0) == 0xe0;
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
