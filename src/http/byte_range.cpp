#include "http/byte_range.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace callsight::http {
namespace {

// Digits only, no sign, no overflow.
std::optional<std::int64_t> position(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::variant<ByteRange, UnsatisfiableRange>> parse_byte_range(
    std::optional<std::string_view> header, std::int64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (!header || !header->starts_with(kUnit)) return std::nullopt;
  const auto spec = header->substr(kUnit.size());
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) {
    return std::nullopt;
  }
  const auto first_text = spec.substr(0, dash);
  const auto last_text = spec.substr(dash + 1);
  if (first_text.empty()) {  // the last N bytes
    const auto suffix = position(last_text);
    if (!suffix) return std::nullopt;
    if (*suffix == 0 || size == 0) return UnsatisfiableRange{};
    return ByteRange{size > *suffix ? size - *suffix : 0, size - 1};
  }
  const auto first = position(first_text);
  if (!first) return std::nullopt;
  std::int64_t last = size - 1;
  if (!last_text.empty()) {
    const auto given = position(last_text);
    if (!given || *given < *first) return std::nullopt;
    last = std::min(*given, size - 1);
  }
  if (*first >= size) return UnsatisfiableRange{};
  return ByteRange{*first, last};
}

}  // namespace callsight::http
