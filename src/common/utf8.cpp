#include "common/utf8.hpp"

namespace callsight::utf8 {
namespace {

// Length of the well-formed sequence that starts at `at`, or 0 when none starts there;
// `subpart` receives the length of the maximal ill-formed prefix to replace (at least 1).
std::size_t sequence_length(std::string_view text, std::size_t at, std::size_t& subpart) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  subpart = 1;
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (at + i >= text.size()) return 0;
    const unsigned char next = byte(at + i);
    const unsigned char min = i == 1 ? low : 0x80;
    const unsigned char max = i == 1 ? high : 0xBF;
    if (next < min || next > max) return 0;
    subpart = i + 1;
  }
  return length;
}

}  // namespace

bool is_valid(std::string_view text) {
  std::size_t subpart = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = sequence_length(text, at, subpart);
    if (length == 0) return false;
    at += length;
  }
  return true;
}

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t subpart = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = sequence_length(text, at, subpart);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      at += subpart;
    } else {
      out.append(text.substr(at, length));
      at += length;
    }
  }
  return out;
}

std::size_t code_points(std::string_view valid_text) {
  std::size_t count = 0;
  for (const char c : valid_text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string_view first_code_points(std::string_view valid_text, std::size_t count) {
  std::size_t seen = 0;
  for (std::size_t at = 0; at < valid_text.size(); ++at) {
    if ((static_cast<unsigned char>(valid_text[at]) & 0xC0) != 0x80) {
      if (seen == count) return valid_text.substr(0, at);
      ++seen;
    }
  }
  return valid_text;
}

}  // namespace callsight::utf8

namespace callsight {

std::string to_json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string to_json_text(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace callsight
