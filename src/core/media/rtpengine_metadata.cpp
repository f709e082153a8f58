#include "core/media/rtpengine_metadata.hpp"

#include <charconv>

namespace callsight::media {

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

bool is_sdp_line(std::string_view line) {
  return line.size() >= 2 && line[0] >= 'a' && line[0] <= 'z' && line[1] == '=';
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// "c=IN IP4 192.0.2.1" or "c=IN IP6 2001:db8::1" as an endpoint without a port.
std::optional<Endpoint> connection_address(std::string_view line) {
  constexpr std::string_view kIpv4 = "c=IN IP4 ";
  constexpr std::string_view kIpv6 = "c=IN IP6 ";
  const bool ipv6 = line.starts_with(kIpv6);
  if (!ipv6 && !line.starts_with(kIpv4)) return std::nullopt;
  auto address = line.substr(kIpv4.size());
  address = address.substr(0, address.find_first_of(" /"));  // multicast TTL, if any
  const auto text = ipv6 ? "[" + std::string(address) + "]:0" : std::string(address) + ":0";
  return parse_endpoint(text);
}

std::optional<std::uint16_t> audio_port(std::string_view line) {
  constexpr std::string_view kAudio = "m=audio ";
  if (!line.starts_with(kAudio)) return std::nullopt;
  line.remove_prefix(kAudio.size());
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), port);
  if (ec != std::errc() || port == 0 || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

}  // namespace

RtpengineMetadata parse_rtpengine_metadata(std::string_view text) {
  RtpengineMetadata metadata;
  const auto lines = lines_of(text);
  if (!lines.empty()) metadata.pcap_path = std::string(lines.front());
  bool in_sdp = false;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto line = lines[i];
    constexpr std::string_view kMode = "SDP mode: ";
    constexpr std::string_view kEnd = "call end time:";
    if (line.starts_with(kMode)) {
      metadata.sdps.push_back({std::string(line.substr(kMode.size())), {}});
      in_sdp = true;
    } else if (in_sdp && is_sdp_line(line)) {
      metadata.sdps.back().body.append(line).append("\r\n");
    } else if (in_sdp && !metadata.sdps.back().body.empty()) {
      in_sdp = false;  // the first line after the SDP body
    } else if (line.starts_with(kEnd)) {
      const auto rest = text.substr(static_cast<std::size_t>(line.end() - text.data()));
      metadata.call_metadata = std::string(trimmed(rest));
      break;
    }
  }
  return metadata;
}

std::optional<Endpoint> sdp_audio_endpoint(std::string_view sdp) {
  std::optional<Endpoint> session_address;
  std::optional<Endpoint> media_address;
  std::optional<std::uint16_t> port;
  bool seen_media = false;
  for (const auto line : lines_of(sdp)) {
    if (line.starts_with("m=")) {
      if (port) break;  // the audio section ended
      seen_media = true;
      port = audio_port(line);
    } else if (const auto address = connection_address(line)) {
      if (!seen_media) session_address = address;
      if (port) media_address = address;
    }
  }
  auto address = media_address ? media_address : session_address;
  if (!port || !address) return std::nullopt;
  address->port = *port;
  return address;
}

std::optional<Endpoint> caller_facing_endpoint(const RtpengineMetadata& metadata) {
  for (const auto& sdp : metadata.sdps) {
    if (sdp.mode == "answer") return sdp_audio_endpoint(sdp.body);
  }
  return std::nullopt;
}

}  // namespace callsight::media
