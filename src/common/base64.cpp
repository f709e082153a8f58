#include "common/base64.hpp"

#include <algorithm>
#include <cstdint>

namespace callsight {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  const auto pos = kBase64Alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

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

std::optional<std::string> decode_base64url_unpadded(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard;
  standard.reserve(text.size() + 3);
  for (const char c : text) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    standard += c == '-' ? '+' : c == '_' ? '/' : c;
  }
  standard.append((4 - text.size() % 4) % 4, '=');
  return decode_base64(standard);
}

}  // namespace callsight
