#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/media/payload_types.hpp"
#include "core/media/rtpengine_metadata.hpp"
#include "media_test_support.hpp"

namespace callsight::media {
namespace {

std::string metadata_fixture(const std::string& name) {
  std::ifstream in(test_support::recording_fixture(name));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(MediaRtpengineMetadata, ReadsTheSdpsOfACallRecordedFromItsOffer) {
  const auto metadata = parse_rtpengine_metadata(metadata_fixture("pcmu-raw-record-call.meta.txt"));
  EXPECT_TRUE(metadata.pcap_path.ends_with("/pcaps/fixture-pcmu%40test-bb58c510fba90ddf.pcap"));
  ASSERT_EQ(metadata.sdps.size(), 2u);
  EXPECT_EQ(metadata.sdps[0].mode, "offer");
  EXPECT_EQ(metadata.sdps[1].mode, "answer");
  EXPECT_TRUE(metadata.sdps[1].body.starts_with("v=0\r\n"));
  EXPECT_NE(metadata.sdps[1].body.find("m=audio 42310 RTP/AVP 0 101\r\n"), std::string::npos);
  EXPECT_TRUE(metadata.sdps[1].body.ends_with("a=ptime:20\r\n"));
  EXPECT_EQ(metadata.call_metadata, "");
  const auto facing = caller_facing_endpoint(metadata);
  ASSERT_TRUE(facing);
  EXPECT_EQ(to_string(*facing), "127.0.0.1:42310");
}

TEST(MediaRtpengineMetadata, RecordingStartedLaterHasNoSdpButTheCallsMetadata) {
  const auto metadata =
      parse_rtpengine_metadata(metadata_fixture("pcma-eth-start-recording.meta.txt"));
  EXPECT_TRUE(metadata.sdps.empty());
  EXPECT_EQ(metadata.call_metadata, "callsight_call=42");
  EXPECT_FALSE(caller_facing_endpoint(metadata));
}

TEST(MediaRtpengineMetadata, TakesTheAudioSectionsAddressOverTheSessions) {
  const auto sdp =
      "v=0\r\nc=IN IP4 192.0.2.1\r\nm=video 5000 RTP/AVP 96\r\nc=IN IP4 192.0.2.9\r\n"
      "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 2001:db8::5\r\nm=audio 6000 RTP/AVP 0\r\n";
  EXPECT_EQ(to_string(*sdp_audio_endpoint(sdp)), "[2001:db8::5]:4000");
  EXPECT_EQ(to_string(*sdp_audio_endpoint("c=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\n")),
            "192.0.2.1:4000");
  EXPECT_FALSE(sdp_audio_endpoint("c=IN IP4 192.0.2.1\r\nm=video 4000 RTP/AVP 96\r\n"));
}

TEST(MediaPayloadTypes, StaticTypesUnlessTheSdpMapsThem) {
  auto map = PayloadMap::static_types();
  EXPECT_EQ(map.kind(0), PayloadKind::pcmu);
  EXPECT_EQ(map.kind(8), PayloadKind::pcma);
  EXPECT_EQ(map.kind(13), PayloadKind::auxiliary);
  EXPECT_EQ(map.kind(18), PayloadKind::other_audio);
  EXPECT_EQ(map.kind(101), PayloadKind::auxiliary);
  map.apply_sdp(
      "m=audio 4000 RTP/AVP 96 97 98 18\r\na=rtpmap:96 PCMA/8000\r\na=rtpmap:97 opus/48000/2\r\n"
      "a=rtpmap:98 telephone-event/48000\r\na=rtpmap:18 G729/8000\r\na=rtpmap:300 PCMU/8000\r\n");
  EXPECT_EQ(map.kind(96), PayloadKind::pcma);
  EXPECT_EQ(map.kind(97), PayloadKind::other_audio);
  EXPECT_EQ(map.kind(98), PayloadKind::auxiliary);
  EXPECT_EQ(map.kind(18), PayloadKind::other_audio);
}

TEST(MediaEndpoint, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(to_string(*parse_endpoint("192.0.2.1:0")), "192.0.2.1:0");
  EXPECT_EQ(to_string(*parse_endpoint("[::1]:5060")), "[::1]:5060");
  EXPECT_FALSE(parse_endpoint("192.0.2.1"));
  EXPECT_FALSE(parse_endpoint("192.0.2.1:65536"));
  EXPECT_FALSE(parse_endpoint("::1:5060"));
  EXPECT_FALSE(parse_endpoint("example.com:5060"));
}

}  // namespace
}  // namespace callsight::media
