#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/media/rtp_packet.hpp"

namespace callsight::media {

// What reading a capture counted besides the RTP packets it kept.
struct CaptureCounts {
  std::uint64_t frames = 0;            // records in the file
  std::uint64_t rtp = 0;               // RTP packets kept
  std::uint64_t rtcp = 0;              // RTCP, skipped
  std::uint64_t not_rtp = 0;           // UDP that is not RTP version 2
  std::uint64_t not_udp = 0;           // non-IP frames, other IP protocols, IPv6 extension chains
  std::uint64_t ip_fragments = 0;      // fragmented datagrams, skipped (RTP never needs them)
  std::uint64_t malformed = 0;         // headers whose lengths do not fit the frame
  bool truncated_last_record = false;  // the file ends inside a record (a writer cut off)

  bool operator==(const CaptureCounts&) const = default;
};

struct Capture {
  std::vector<RtpPacket> packets;  // file order; payloads point into the bytes read
  CaptureCounts counts;
};

// Reads a classic libpcap file (either byte order, micro- or nanosecond times) whose link type is
// Ethernet (with VLAN tags), raw IP (rtpengine's default), IPv4, IPv6 or Linux cooked (v1, v2),
// and keeps the RTP packets over UDP over IPv4 or IPv6. Throws MediaError when the file header
// is not one of those; damage after it is counted, not thrown. The payload spans point into
// `bytes`, which must outlive the result.
Capture read_pcap(std::span<const std::uint8_t> bytes);

}  // namespace callsight::media
