#include "core/media/rtp_packet.hpp"

namespace callsight::media {

namespace {

constexpr std::size_t kFixedHeaderBytes = 12;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

}  // namespace

UdpPayloadKind classify_udp_payload(std::span<const std::uint8_t> payload) {
  if (payload.size() < kFixedHeaderBytes || (payload[0] >> 6) != 2) {
    return UdpPayloadKind::not_rtp;
  }
  const auto second = payload[1];
  if (second >= 192 && second <= 223) return UdpPayloadKind::rtcp;
  return UdpPayloadKind::rtp;
}

std::optional<RtpPacket> parse_rtp(std::span<const std::uint8_t> payload) {
  if (classify_udp_payload(payload) != UdpPayloadKind::rtp) return std::nullopt;
  const bool has_padding = payload[0] & 0x20;
  const bool has_extension = payload[0] & 0x10;
  const std::size_t csrc_count = payload[0] & 0x0f;
  std::size_t header = kFixedHeaderBytes + 4 * csrc_count;
  if (has_extension) {
    if (payload.size() < header + 4) return std::nullopt;
    header += 4 + 4 * std::size_t{be16(payload.data() + header + 2)};
  }
  if (payload.size() < header) return std::nullopt;
  std::size_t end = payload.size();
  if (has_padding) {
    const std::size_t padding = payload.back();
    if (padding == 0 || padding > end - header) return std::nullopt;
    end -= padding;
  }
  RtpPacket packet;
  packet.marker = payload[1] & 0x80;
  packet.payload_type = payload[1] & 0x7f;
  packet.sequence = be16(payload.data() + 2);
  packet.timestamp = be32(payload.data() + 4);
  packet.ssrc = be32(payload.data() + 8);
  packet.payload = payload.subspan(header, end - header);
  return packet;
}

}  // namespace callsight::media
