#include "core/media/payload_types.hpp"

#include <charconv>
#include <string>

namespace callsight::media {

namespace {

constexpr std::uint8_t kFirstDynamicType = 96;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

PayloadKind kind_of_encoding(std::string_view encoding) {
  const auto name = lower(encoding);
  if (name == "pcmu/8000" || name == "pcmu/8000/1") return PayloadKind::pcmu;
  if (name == "pcma/8000" || name == "pcma/8000/1") return PayloadKind::pcma;
  if (name.starts_with("telephone-event/") || name.starts_with("cn/")) {
    return PayloadKind::auxiliary;
  }
  return PayloadKind::other_audio;
}

// One "a=rtpmap:101 telephone-event/8000" line, without its line end.
void apply_rtpmap_line(std::string_view line, PayloadMap& map) {
  constexpr std::string_view kPrefix = "a=rtpmap:";
  if (!line.starts_with(kPrefix)) return;
  line.remove_prefix(kPrefix.size());
  unsigned type = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), type);
  if (ec != std::errc() || type > 127) return;
  auto encoding = line.substr(static_cast<std::size_t>(end - line.data()));
  while (!encoding.empty() && encoding.front() == ' ') encoding.remove_prefix(1);
  const auto space = encoding.find(' ');
  if (space != std::string_view::npos) encoding = encoding.substr(0, space);
  if (encoding.empty()) return;
  map.set(static_cast<std::uint8_t>(type), kind_of_encoding(encoding));
}

}  // namespace

PayloadMap PayloadMap::static_types() {
  PayloadMap map;
  for (int type = 0; type < 128; ++type) {
    map.kinds_[type] =
        type >= kFirstDynamicType ? PayloadKind::auxiliary : PayloadKind::other_audio;
  }
  map.set(0, PayloadKind::pcmu);
  map.set(8, PayloadKind::pcma);
  map.set(13, PayloadKind::auxiliary);
  return map;
}

void PayloadMap::apply_sdp(std::string_view sdp) {
  while (!sdp.empty()) {
    const auto newline = sdp.find('\n');
    auto line = sdp.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    apply_rtpmap_line(line, *this);
    if (newline == std::string_view::npos) break;
    sdp.remove_prefix(newline + 1);
  }
}

}  // namespace callsight::media
