#include <gtest/gtest.h>

#include "core/media/media_error.hpp"
#include "core/media/pcap.hpp"
#include "core/media/rtp_packet.hpp"
#include "media_test_support.hpp"

namespace callsight::media {
namespace {

using namespace test_support;

constexpr std::uint32_t kLinkEthernet = 1;
constexpr std::uint32_t kLinkRaw = 101;
constexpr std::uint32_t kLinkCooked = 113;
constexpr std::uint32_t kLinkCooked2 = 276;

ByteVector one_rtp_packet() {
  return rtp_bytes({.payload_type = 8,
                    .sequence = 7,
                    .timestamp = 160,
                    .ssrc = 0xabcdef01,
                    .payload = ByteVector(160, 0xd5)});
}

TEST(MediaPcap, ReadsRtpOverUdpOverIpv4InRawIpFrames) {
  const auto ip =
      udp_in_ipv4(endpoint("192.0.2.1:4000"), endpoint("198.51.100.2:30000"), one_rtp_packet());
  const auto file = PcapBuilder(kLinkRaw).frame(1'700'000'000'250'000, ip).bytes();
  const auto capture = read_pcap(file);
  ASSERT_EQ(capture.packets.size(), 1u);
  const auto& packet = capture.packets[0];
  EXPECT_EQ(packet.arrival_us, 1'700'000'000'250'000);
  EXPECT_EQ(to_string(packet.source), "192.0.2.1:4000");
  EXPECT_EQ(to_string(packet.destination), "198.51.100.2:30000");
  EXPECT_EQ(packet.payload_type, 8);
  EXPECT_EQ(packet.sequence, 7);
  EXPECT_EQ(packet.timestamp, 160u);
  EXPECT_EQ(packet.ssrc, 0xabcdef01u);
  EXPECT_EQ(packet.payload.size(), 160u);
  EXPECT_EQ(capture.counts.frames, 1u);
  EXPECT_EQ(capture.counts.rtp, 1u);
}

TEST(MediaPcap, ReadsIpv6BehindEthernetAndVlanTag) {
  ByteVector frame(12, 0);
  put_be(frame, 0x8100, 2);  // VLAN tag
  put_be(frame, 42, 2);
  put_be(frame, 0x86dd, 2);
  const auto ip =
      udp_in_ipv6(endpoint("[2001:db8::1]:5000"), endpoint("[2001:db8::2]:6000"), one_rtp_packet());
  frame.insert(frame.end(), ip.begin(), ip.end());
  const auto capture = read_pcap(PcapBuilder(kLinkEthernet).frame(1'000'000, frame).bytes());
  ASSERT_EQ(capture.packets.size(), 1u);
  EXPECT_EQ(to_string(capture.packets[0].source), "[2001:db8::1]:5000");
  EXPECT_EQ(to_string(capture.packets[0].destination), "[2001:db8::2]:6000");
}

TEST(MediaPcap, ReadsLinuxCookedFramesInBigEndianNanosecondFiles) {
  const auto ip = udp_in_ipv4(endpoint("10.0.0.1:1"), endpoint("10.0.0.2:2"), one_rtp_packet());
  ByteVector cooked(14, 0);
  put_be(cooked, 0x0800, 2);
  cooked.insert(cooked.end(), ip.begin(), ip.end());
  ByteVector cooked2;
  put_be(cooked2, 0x0800, 2);
  cooked2.resize(20, 0);
  cooked2.insert(cooked2.end(), ip.begin(), ip.end());
  const auto v1 = PcapBuilder(kLinkCooked, true, true).frame(5'000'123, cooked).bytes();
  const auto v2 = PcapBuilder(kLinkCooked2, true, false).frame(5'000'123, cooked2).bytes();
  for (const auto& file : {v1, v2}) {
    const auto capture = read_pcap(file);
    ASSERT_EQ(capture.packets.size(), 1u);
    EXPECT_EQ(capture.packets[0].arrival_us, 5'000'123);
    EXPECT_EQ(to_string(capture.packets[0].destination), "10.0.0.2:2");
  }
}

TEST(MediaPcap, CountsWhatIsNotRtpAndStopsAtACutOffRecord) {
  const auto from = endpoint("10.0.0.1:1");
  const auto to = endpoint("10.0.0.2:2");
  ByteVector rtcp{0x80, 200, 0, 6};
  rtcp.resize(28, 0);
  auto fragment = udp_in_ipv4(from, to, one_rtp_packet());
  fragment[6] = 0x20;  // more fragments
  auto tcp = udp_in_ipv4(from, to, one_rtp_packet());
  tcp[9] = 6;
  auto bad_length = udp_in_ipv4(from, to, one_rtp_packet());
  bad_length[25] = 0xff;  // UDP length past the packet
  PcapBuilder builder(kLinkRaw);
  builder.frame(1, udp_in_ipv4(from, to, rtcp))
      .frame(2, udp_in_ipv4(from, to, ByteVector{'h', 'e', 'l', 'l', 'o'}))
      .frame(3, fragment)
      .frame(4, tcp)
      .frame(5, bad_length)
      .frame(6, udp_in_ipv4(from, to, one_rtp_packet()));
  auto file = builder.bytes();
  file.resize(file.size() - 10);  // rtpengine stopped in the middle of the last record
  const auto capture = read_pcap(file);
  EXPECT_EQ(capture.packets.size(), 0u);
  const CaptureCounts expected{.frames = 5,
                               .rtcp = 1,
                               .not_rtp = 1,
                               .not_udp = 1,
                               .ip_fragments = 1,
                               .malformed = 1,
                               .truncated_last_record = true};
  EXPECT_EQ(capture.counts, expected);
}

TEST(MediaPcap, RefusesFilesItCannotRead) {
  const auto message_of = [](const ByteVector& bytes) {
    try {
      read_pcap(bytes);
    } catch (const MediaError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of(ByteVector(10, 0)), "pcap: shorter than its file header");
  auto pcapng = PcapBuilder(kLinkRaw).bytes();
  pcapng[0] = 0x0a, pcapng[1] = 0x0d, pcapng[2] = 0x0d, pcapng[3] = 0x0a;
  EXPECT_NE(message_of(pcapng).find("pcapng"), std::string::npos);
  EXPECT_EQ(message_of(ByteVector(24, 0x41)), "pcap: not a pcap file (unknown magic number)");
  EXPECT_NE(message_of(PcapBuilder(105).bytes()).find("link type 105"), std::string::npos);
}

TEST(MediaRtp, LeavesCsrcsExtensionAndPaddingOutOfThePayload) {
  ByteVector bytes{0xb2, 0x00, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9};  // padding, extension, 2 CSRCs
  bytes.resize(bytes.size() + 8, 0);                             // CSRCs
  bytes.insert(bytes.end(), {0xbe, 0xde, 0, 1, 1, 2, 3, 4});     // a one-word extension
  bytes.insert(bytes.end(), {10, 11, 12});                       // payload
  bytes.insert(bytes.end(), {0, 0, 3});                          // three bytes of padding
  const auto packet = parse_rtp(bytes);
  ASSERT_TRUE(packet);
  EXPECT_EQ(ByteVector(packet->payload.begin(), packet->payload.end()), (ByteVector{10, 11, 12}));
  bytes.back() = 200;  // padding longer than the packet
  EXPECT_FALSE(parse_rtp(bytes));
  EXPECT_EQ(classify_udp_payload(ByteVector{0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
            UdpPayloadKind::not_rtp);  // version 1
}

TEST(MediaPcap, ReadsRtpengineRawRecording) {
  const auto bytes = file_bytes(recording_fixture("pcmu-raw-record-call.pcap"));
  const auto capture = read_pcap(bytes);
  EXPECT_EQ(capture.counts.frames, 255u);
  EXPECT_EQ(capture.counts.rtp, 255u);
  EXPECT_FALSE(capture.counts.truncated_last_record);
  std::size_t from_caller = 0;
  for (const auto& packet : capture.packets) {
    if (to_string(packet.source) == "127.0.0.1:42500") {
      ++from_caller;
      EXPECT_EQ(to_string(packet.destination), "127.0.0.1:42310");
    } else {
      EXPECT_EQ(to_string(packet.source), "127.0.0.1:42502");
      EXPECT_EQ(to_string(packet.destination), "127.0.0.1:42300");
    }
  }
  EXPECT_EQ(from_caller, 130u);  // 125 of PCMU and 5 telephone-events
}

TEST(MediaPcap, ReadsRtpengineEthernetRecording) {
  const auto bytes = file_bytes(recording_fixture("pcma-eth-start-recording.pcap"));
  const auto capture = read_pcap(bytes);
  EXPECT_EQ(capture.counts.frames, 255u);
  EXPECT_EQ(capture.counts.rtp, 255u);
  EXPECT_EQ(capture.packets.front().payload_type, 8);
}

}  // namespace
}  // namespace callsight::media
