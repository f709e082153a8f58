#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/media/endpoint.hpp"

namespace callsight::media {

// One RTP packet as a capture holds it: when it arrived, its UDP flow, and its RTP header
// fields (RFC 3550, section 5.1). The payload points into the capture's bytes, with CSRCs, the
// header extension and padding left out.
struct RtpPacket {
  std::int64_t arrival_us = 0;  // capture time, microseconds since the Unix epoch
  Endpoint source;
  Endpoint destination;
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::uint8_t> payload;
};

enum class UdpPayloadKind { rtp, rtcp, not_rtp };

// What a UDP payload is: RTP version 2 with a whole header, RTCP (packet types 192-223 share
// RTP's port under rtcp-mux, RFC 5761 section 4), or neither.
UdpPayloadKind classify_udp_payload(std::span<const std::uint8_t> payload);

// The RTP header fields and payload of a UDP payload that classify_udp_payload calls rtp;
// nothing when its CSRC list, extension or padding run past its end.
std::optional<RtpPacket> parse_rtp(std::span<const std::uint8_t> payload);

}  // namespace callsight::media
