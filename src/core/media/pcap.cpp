#include "core/media/pcap.hpp"

#include <cstring>
#include <optional>

#include "core/media/media_error.hpp"

namespace callsight::media {

namespace {

constexpr std::size_t kFileHeaderBytes = 24;
constexpr std::size_t kRecordHeaderBytes = 16;
constexpr std::uint32_t kMicrosecondMagic = 0xa1b2c3d4;
constexpr std::uint32_t kNanosecondMagic = 0xa1b23c4d;
constexpr std::uint32_t kPcapngMagic = 0x0a0d0d0a;
// No link layer carries a frame this large; a bigger record length means a damaged file.
constexpr std::uint32_t kMaxRecordBytes = 262144;

// LINKTYPE_* values (tcpdump.org/linktypes.html); 12 is DLT_RAW as some systems number it.
enum LinkType : std::uint32_t {
  kEthernet = 1,
  kRawBsd = 12,
  kRaw = 101,
  kLinuxCooked = 113,
  kIpv4 = 228,
  kIpv6 = 229,
  kLinuxCooked2 = 276,
};

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr std::uint16_t kEtherTypeVlan = 0x8100;
constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;
constexpr std::uint8_t kIpProtocolUdp = 17;

using Bytes = std::span<const std::uint8_t>;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[3]} << 24 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0];
}
std::uint32_t byte_swapped(std::uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

struct FileFormat {
  bool big_endian = false;
  bool nanoseconds = false;
  std::uint32_t link_type = 0;

  std::uint32_t u32(const std::uint8_t* p) const {
    return big_endian ? byte_swapped(le32(p)) : le32(p);
  }
};

bool is_supported_link_type(std::uint32_t link_type) {
  switch (link_type) {
    case kEthernet:
    case kRawBsd:
    case kRaw:
    case kLinuxCooked:
    case kIpv4:
    case kIpv6:
    case kLinuxCooked2:
      return true;
    default:
      return false;
  }
}

FileFormat read_file_header(Bytes bytes) {
  if (bytes.size() < kFileHeaderBytes) throw MediaError("pcap: shorter than its file header");
  const auto magic = le32(bytes.data());
  FileFormat format;
  if (magic == kMicrosecondMagic || magic == kNanosecondMagic) {
    format.nanoseconds = magic == kNanosecondMagic;
  } else if (byte_swapped(magic) == kMicrosecondMagic || byte_swapped(magic) == kNanosecondMagic) {
    format.big_endian = true;
    format.nanoseconds = byte_swapped(magic) == kNanosecondMagic;
  } else if (magic == kPcapngMagic) {
    throw MediaError("pcap: a pcapng file; only classic pcap (what rtpengine writes) is read");
  } else {
    throw MediaError("pcap: not a pcap file (unknown magic number)");
  }
  // The top bits of the link-type field may carry FCS information (pcap-savefile(5)).
  format.link_type = format.u32(bytes.data() + 20) & 0x0fffffff;
  if (!is_supported_link_type(format.link_type)) {
    throw MediaError("pcap: link type " + std::to_string(format.link_type) +
                     " is not read (Ethernet, raw IP and Linux cooked are)");
  }
  return format;
}

struct IpPacket {
  std::uint16_t ether_type = 0;
  Bytes bytes;
};

// An Ethernet frame's payload behind any VLAN tags, with its ether type.
std::optional<IpPacket> ip_of_ethernet(Bytes frame) {
  std::size_t type_offset = 12;
  while (frame.size() >= type_offset + 2) {
    const auto type = be16(frame.data() + type_offset);
    if (type != kEtherTypeVlan && type != kEtherTypeQinQ) {
      return IpPacket{type, frame.subspan(type_offset + 2)};
    }
    type_offset += 4;
  }
  return std::nullopt;
}

// The network-layer packet of one frame: its ether type says IPv4 or IPv6.
std::optional<IpPacket> ip_of_frame(Bytes frame, std::uint32_t link_type) {
  switch (link_type) {
    case kEthernet:
      return ip_of_ethernet(frame);
    case kLinuxCooked:
      if (frame.size() < 16) return std::nullopt;
      return IpPacket{be16(frame.data() + 14), frame.subspan(16)};
    case kLinuxCooked2:
      if (frame.size() < 20) return std::nullopt;
      return IpPacket{be16(frame.data()), frame.subspan(20)};
    case kIpv4:
      return IpPacket{kEtherTypeIpv4, frame};
    case kIpv6:
      return IpPacket{kEtherTypeIpv6, frame};
    default:  // raw IP: the version nibble decides
      if (frame.empty()) return std::nullopt;
      return IpPacket{(frame[0] >> 4) == 6 ? kEtherTypeIpv6 : kEtherTypeIpv4, frame};
  }
}

struct UdpDatagram {
  Endpoint source;
  Endpoint destination;
  Bytes payload;
};

enum class Skip { none, not_udp, fragment, malformed };

struct UdpResult {
  std::optional<UdpDatagram> datagram;
  Skip skip = Skip::none;
};

// Fills the ports and payload from a UDP header; the addresses are the caller's.
UdpResult read_udp(Bytes udp, Endpoint source, Endpoint destination) {
  if (udp.size() < 8) return {.skip = Skip::malformed};
  const std::size_t length = be16(udp.data() + 4);
  if (length < 8 || length > udp.size()) return {.skip = Skip::malformed};
  source.port = be16(udp.data());
  destination.port = be16(udp.data() + 2);
  return {UdpDatagram{source, destination, udp.subspan(8, length - 8)}};
}

UdpResult udp_of_ipv4(Bytes ip) {
  if (ip.size() < 20 || (ip[0] >> 4) != 4) return {.skip = Skip::malformed};
  const std::size_t header_length = (ip[0] & 0x0f) * 4u;
  const std::size_t total_length = be16(ip.data() + 2);
  if (header_length < 20 || total_length < header_length || total_length > ip.size()) {
    return {.skip = Skip::malformed};
  }
  if (ip[9] != kIpProtocolUdp) return {.skip = Skip::not_udp};
  // More-fragments flag or a fragment offset: part of a datagram, never whole RTP.
  if ((be16(ip.data() + 6) & 0x3fff) != 0) return {.skip = Skip::fragment};
  Endpoint source;
  Endpoint destination;
  std::memcpy(source.address.data(), ip.data() + 12, 4);
  std::memcpy(destination.address.data(), ip.data() + 16, 4);
  return read_udp(ip.subspan(header_length, total_length - header_length), source, destination);
}

// IPv6 with UDP as the next header; extension headers are not followed (rtpengine and RTP
// senders do not use them) and count as not UDP.
UdpResult udp_of_ipv6(Bytes ip) {
  constexpr std::size_t kHeaderBytes = 40;
  if (ip.size() < kHeaderBytes || (ip[0] >> 4) != 6) return {.skip = Skip::malformed};
  const std::size_t payload_length = be16(ip.data() + 4);
  if (payload_length > ip.size() - kHeaderBytes) return {.skip = Skip::malformed};
  if (ip[6] != kIpProtocolUdp) return {.skip = Skip::not_udp};
  Endpoint source{.ipv6 = true};
  Endpoint destination{.ipv6 = true};
  std::memcpy(source.address.data(), ip.data() + 8, 16);
  std::memcpy(destination.address.data(), ip.data() + 24, 16);
  return read_udp(ip.subspan(kHeaderBytes, payload_length), source, destination);
}

UdpResult udp_of_frame(Bytes frame, std::uint32_t link_type) {
  const auto ip = ip_of_frame(frame, link_type);
  if (!ip) return {.skip = Skip::malformed};
  if (ip->ether_type == kEtherTypeIpv4) return udp_of_ipv4(ip->bytes);
  if (ip->ether_type == kEtherTypeIpv6) return udp_of_ipv6(ip->bytes);
  return {.skip = Skip::not_udp};
}

void count_skip(Skip skip, CaptureCounts& counts) {
  if (skip == Skip::not_udp) ++counts.not_udp;
  if (skip == Skip::fragment) ++counts.ip_fragments;
  if (skip == Skip::malformed) ++counts.malformed;
}

// Adds the frame's RTP packet to the capture, or counts why there is none.
void take_frame(Bytes frame, std::int64_t arrival_us, std::uint32_t link_type, Capture& capture) {
  auto& counts = capture.counts;
  const auto udp = udp_of_frame(frame, link_type);
  if (!udp.datagram) return count_skip(udp.skip, counts);
  switch (classify_udp_payload(udp.datagram->payload)) {
    case UdpPayloadKind::rtcp:
      ++counts.rtcp;
      return;
    case UdpPayloadKind::not_rtp:
      ++counts.not_rtp;
      return;
    case UdpPayloadKind::rtp:
      break;
  }
  auto packet = parse_rtp(udp.datagram->payload);
  if (!packet) {
    ++counts.malformed;
    return;
  }
  packet->arrival_us = arrival_us;
  packet->source = udp.datagram->source;
  packet->destination = udp.datagram->destination;
  capture.packets.push_back(*packet);
  ++counts.rtp;
}

}  // namespace

Capture read_pcap(std::span<const std::uint8_t> bytes) {
  const auto format = read_file_header(bytes);
  Capture capture;
  std::size_t offset = kFileHeaderBytes;
  while (offset < bytes.size()) {
    if (bytes.size() - offset < kRecordHeaderBytes) {
      capture.counts.truncated_last_record = true;
      break;
    }
    const auto* record = bytes.data() + offset;
    const std::int64_t seconds = format.u32(record);
    const std::int64_t fraction = format.u32(record + 4);
    const auto captured_length = format.u32(record + 8);
    if (captured_length > kMaxRecordBytes) {
      ++capture.counts.malformed;
      break;  // the following record headers cannot be found any more
    }
    if (bytes.size() - offset - kRecordHeaderBytes < captured_length) {
      capture.counts.truncated_last_record = true;
      break;
    }
    ++capture.counts.frames;
    const auto arrival_us = seconds * 1'000'000 + (format.nanoseconds ? fraction / 1000 : fraction);
    take_frame(bytes.subspan(offset + kRecordHeaderBytes, captured_length), arrival_us,
               format.link_type, capture);
    offset += kRecordHeaderBytes + captured_length;
  }
  return capture;
}

}  // namespace callsight::media
