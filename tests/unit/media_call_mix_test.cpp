#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/media/call_mix.hpp"
#include "core/media/media_error.hpp"
#include "core/media/pcap.hpp"
#include "core/media/rtpengine_metadata.hpp"
#include "media_test_support.hpp"

namespace callsight::media {
namespace {

using namespace test_support;

constexpr const char* kCaller = "10.0.0.1:4000";
constexpr const char* kCallee = "10.0.0.2:5000";
constexpr const char* kToCaller = "10.0.0.9:30010";  // rtpengine's socket for the caller's media
constexpr const char* kToCallee = "10.0.0.9:30000";
constexpr std::uint8_t kLoud = 0x80;   // µ-law 32124
constexpr std::uint8_t kQuiet = 0x00;  // µ-law -32124
constexpr std::int16_t kLoudSample = 32124;

ByteVector payload_of(std::uint8_t code, std::size_t samples = 160) {
  return ByteVector(samples, code);
}

class MediaCallMix : public ::testing::Test {
 protected:
  RtpPacket from_caller(std::int64_t at_ms, std::uint16_t sequence, std::uint32_t timestamp,
                        std::uint8_t code = kLoud, std::uint8_t type = 0,
                        std::uint32_t ssrc = 0xca11) {
    return factory_.packet(kCaller, kToCaller, at_ms,
                           {type, sequence, timestamp, ssrc, payload_of(code)});
  }
  RtpPacket from_callee(std::int64_t at_ms, std::uint16_t sequence, std::uint32_t timestamp,
                        std::uint8_t code = kQuiet, std::uint8_t type = 0) {
    return factory_.packet(kCallee, kToCallee, at_ms,
                           {type, sequence, timestamp, 0xca1ee, payload_of(code)});
  }
  CallAudio mix(const std::vector<RtpPacket>& packets, CallerIdentification caller = {},
                MixLimits limits = {}) {
    if (!caller.caller_facing_endpoint && !caller.caller_address) {
      caller.caller_facing_endpoint = endpoint(kToCaller);
    }
    return mix_call(packets, PayloadMap::static_types(), caller, limits);
  }
  std::string error_of(const std::vector<RtpPacket>& packets, MixLimits limits = {}) {
    try {
      mix(packets, {}, limits);
    } catch (const MediaError& e) {
      return e.what();
    }
    return "no error";
  }

  PacketFactory factory_;
};

TEST_F(MediaCallMix, PutsTheCallerLeftAndTheCalleeRightOnOneTimeLine) {
  // The SDP advertises another address than the socket's (NAT): the port decides.
  CallerIdentification caller{.caller_facing_endpoint = endpoint("203.0.113.9:30010")};
  const auto result = mix({from_caller(1000, 1, 0), from_callee(1010, 9, 5000),
                           from_caller(1020, 2, 160), from_callee(1030, 10, 5160)},
                          caller);
  EXPECT_EQ(result.stats.caller_found_by, CallerFoundBy::caller_facing_endpoint);
  EXPECT_EQ(result.stats.start_us, 1'000'000);
  const auto left = channel_of(result.audio, 0);
  const auto right = channel_of(result.audio, 1);
  ASSERT_EQ(result.audio.frames(), 400u);  // the callee began 10 ms (80 samples) later
  EXPECT_EQ(result.audio.duration_ms(), 50);
  EXPECT_EQ(left[0], kLoudSample);
  EXPECT_EQ(left[319], kLoudSample);
  EXPECT_EQ(left[320], 0);
  EXPECT_EQ(right[79], 0);
  EXPECT_EQ(right[80], -kLoudSample);
  EXPECT_EQ(right[399], -kLoudSample);
  EXPECT_EQ(result.stats.caller.audio_packets, 2u);
  EXPECT_EQ(result.stats.callee.audio_packets, 2u);
}

TEST_F(MediaCallMix, TheCallersAddressFindsTheCallerWhenTheCalleeSpokeFirst) {
  const std::vector packets{from_callee(1000, 1, 0), from_caller(1020, 1, 0)};
  const auto by_address = mix(packets, {.caller_address = endpoint("10.0.0.1:0")});
  EXPECT_EQ(by_address.stats.caller_found_by, CallerFoundBy::caller_address);
  EXPECT_EQ(channel_of(by_address.audio, 0)[200], kLoudSample);
  EXPECT_EQ(channel_of(by_address.audio, 1)[0], -kLoudSample);

  const auto guessed = mix_call(packets, PayloadMap::static_types(), {});
  EXPECT_EQ(guessed.stats.caller_found_by, CallerFoundBy::first_audio);
  EXPECT_EQ(channel_of(guessed.audio, 0)[0], -kLoudSample);  // the first to speak went left
}

TEST_F(MediaCallMix, LostPacketsAndGapsAreSilence) {
  const auto result = mix({from_caller(0, 1, 0), from_caller(20, 2, 160), from_caller(60, 4, 480),
                           from_caller(1060, 5, 8480)});
  const auto left = channel_of(result.audio, 0);
  ASSERT_EQ(result.audio.frames(), 8640u);
  EXPECT_EQ(left[319], kLoudSample);
  EXPECT_EQ(left[320], 0);  // sequence 3 was lost
  EXPECT_EQ(left[479], 0);
  EXPECT_EQ(left[480], kLoudSample);
  EXPECT_EQ(left[640], 0);  // a second of silence suppression
  EXPECT_EQ(left[8480], kLoudSample);
  EXPECT_EQ(result.stats.caller.lost_packets, 1u);
}

TEST_F(MediaCallMix, ReorderedPacketsLandInOrderAndDuplicatesOnce) {
  const auto result = mix({from_caller(0, 1, 0, kLoud), from_caller(20, 3, 320, kQuiet),
                           from_caller(40, 2, 160, 0xff), from_caller(41, 2, 160, kLoud)});
  const auto left = channel_of(result.audio, 0);
  ASSERT_EQ(result.audio.frames(), 480u);
  EXPECT_EQ(left[0], kLoudSample);
  EXPECT_EQ(left[160], 0);  // µ-law 0xff, not the duplicate's code
  EXPECT_EQ(left[320], -kLoudSample);
  EXPECT_EQ(result.stats.caller.duplicate_packets, 1u);
  EXPECT_EQ(result.stats.caller.lost_packets, 0u);
}

TEST_F(MediaCallMix, TimestampsAndSequenceNumbersWrapAround) {
  const auto result =
      mix({from_caller(0, 65535, 0xffffff60), from_caller(20, 0, 0), from_caller(40, 1, 160)});
  EXPECT_EQ(result.audio.frames(), 480u);
  EXPECT_EQ(result.stats.caller.lost_packets, 0u);
  EXPECT_EQ(result.stats.caller.streams, 1u);
}

TEST_F(MediaCallMix, ANewSsrcIsPlacedByItsArrival) {
  const auto result = mix({from_caller(0, 1, 1000), from_caller(100, 500, 999999, kQuiet, 0, 7)});
  const auto left = channel_of(result.audio, 0);
  ASSERT_EQ(result.audio.frames(), 960u);
  EXPECT_EQ(left[799], 0);
  EXPECT_EQ(left[800], -kLoudSample);
  EXPECT_EQ(result.stats.caller.streams, 2u);
}

TEST_F(MediaCallMix, ATimestampJumpUnderOneSsrcStartsANewStream) {
  const auto result = mix({from_caller(0, 1, 0), from_caller(20, 2, 160),
                           from_caller(40, 3, 160 + 8000 * 3600, kQuiet)});
  const auto left = channel_of(result.audio, 0);
  ASSERT_EQ(result.audio.frames(), 480u);  // not an hour
  EXPECT_EQ(left[320], -kLoudSample);
  EXPECT_EQ(result.stats.caller.streams, 2u);
}

TEST_F(MediaCallMix, EventsAndComfortNoiseAreSkippedAndCounted) {
  const auto result = mix({from_caller(0, 1, 0, 5, 101), from_caller(20, 2, 0, 5, 101),
                           from_callee(40, 1, 0, 0, 13), from_caller(100, 3, 800)});
  EXPECT_EQ(result.stats.start_us, 100'000);  // the call starts with its first audio
  EXPECT_EQ(result.audio.frames(), 160u);
  EXPECT_EQ(result.stats.caller.skipped_payload_types,
            (std::map<std::uint8_t, std::uint64_t>{{101, 2}}));
  EXPECT_EQ(result.stats.callee.skipped_payload_types,
            (std::map<std::uint8_t, std::uint64_t>{{13, 1}}));
}

TEST_F(MediaCallMix, ASideWithOnlyAnotherCodecIsAnError) {
  EXPECT_EQ(
      error_of({from_caller(0, 1, 0), from_callee(0, 1, 0, 0, 18), from_callee(20, 2, 160, 0, 4)}),
      "callee media: no decodable audio; payload types seen: 4, 18 (only G.711, PCMU and "
      "PCMA, is decoded)");
  EXPECT_EQ(error_of({from_caller(0, 1, 0, 5, 101)}), "recording: no G.711 audio packets");
  EXPECT_EQ(error_of({}), "recording: no G.711 audio packets");
}

TEST_F(MediaCallMix, APacketWithoutSamplesIsNotAudio) {
  auto empty = from_caller(0, 1, 0);
  empty.payload = {};  // all padding, say
  EXPECT_EQ(error_of({empty}), "recording: no G.711 audio packets");
  const auto result = mix({empty, from_caller(100, 2, 800)});
  EXPECT_EQ(result.stats.start_us, 100'000);
  EXPECT_EQ(result.audio.frames(), 160u);
}

TEST_F(MediaCallMix, MediaLongerThanTheLimitIsRefused) {
  const std::vector packets{from_caller(0, 1, 0), from_callee(1500, 1, 0)};
  EXPECT_EQ(error_of(packets, {.max_seconds = 1}), "recording: media longer than 1 s");
  EXPECT_EQ(mix(packets, {}, {.max_seconds = 2}).audio.frames(), 12160u);
}

TEST_F(MediaCallMix, DynamicTypesDecodeAsTheSdpMapsThem) {
  auto map = PayloadMap::static_types();
  map.apply_sdp("a=rtpmap:96 PCMA/8000\r\n");
  const auto result = mix_call(std::vector{from_caller(0, 1, 0, 0xd5, 96)}, map,
                               {.caller_facing_endpoint = endpoint(kToCaller)});
  EXPECT_EQ(channel_of(result.audio, 0)[0], 8);  // A-law 0xd5
}

std::string fixture_text(const std::string& name) {
  std::ifstream in(recording_fixture(name));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void expect_tones_of_the_fixture_call(const CallAudio& call) {
  // The caller sent 440 Hz from 0 to 3 s with no packets from 1.0 to 1.4 s and DTMF from 2.0 to
  // 2.1 s; the callee 880 Hz from 0.3 to 2.8 s (tests/data/recordings/rtpengine_call.py).
  EXPECT_NEAR(static_cast<double>(call.audio.frames()), 3.0 * 8000, 160);
  const auto left = channel_of(call.audio, 0);
  const auto right = channel_of(call.audio, 1);
  EXPECT_NEAR(zero_crossing_hz(left, 800, 7200), 440, 10);
  EXPECT_NEAR(zero_crossing_hz(left, 11600, 15200), 440, 10);
  EXPECT_NEAR(zero_crossing_hz(right, 4000, 20000), 880, 10);
  EXPECT_LT(rms(left, 8160, 11040), 1);   // the gap
  EXPECT_LT(rms(left, 16160, 16640), 1);  // the DTMF
  EXPECT_LT(rms(right, 0, 2240), 1);      // before the callee answered
  EXPECT_LT(rms(right, 22560, 24000), 1);
  EXPECT_GT(rms(left, 0, 8000), 3000);
  std::size_t first_right = 0;
  while (first_right < right.size() && right[first_right] == 0) ++first_right;
  EXPECT_NEAR(static_cast<double>(first_right), 0.3 * 8000, 160);
}

TEST(MediaRecordingFixture, RecordedFromTheOfferTheMetadataFindsTheCaller) {
  const auto bytes = file_bytes(recording_fixture("pcmu-raw-record-call.pcap"));
  const auto capture = read_pcap(bytes);
  const auto metadata = parse_rtpengine_metadata(fixture_text("pcmu-raw-record-call.meta.txt"));
  auto payload_types = PayloadMap::static_types();
  for (const auto& sdp : metadata.sdps) payload_types.apply_sdp(sdp.body);
  const auto call = mix_call(capture.packets, payload_types,
                             {.caller_facing_endpoint = caller_facing_endpoint(metadata)});
  EXPECT_EQ(call.stats.caller_found_by, CallerFoundBy::caller_facing_endpoint);
  EXPECT_EQ(call.stats.caller.audio_packets, 125u);
  EXPECT_EQ(call.stats.caller.skipped_payload_types,
            (std::map<std::uint8_t, std::uint64_t>{{101, 5}}));
  EXPECT_EQ(call.stats.caller.lost_packets, 0u);
  EXPECT_EQ(call.stats.callee.audio_packets, 125u);
  expect_tones_of_the_fixture_call(call);
}

TEST(MediaRecordingFixture, StartedLaterTheCallersAddressFindsTheCaller) {
  const auto bytes = file_bytes(recording_fixture("pcma-eth-start-recording.pcap"));
  const auto call = mix_call(read_pcap(bytes).packets, PayloadMap::static_types(),
                             {.caller_address = endpoint("127.0.0.1:42510")});
  EXPECT_EQ(call.stats.caller_found_by, CallerFoundBy::caller_address);
  expect_tones_of_the_fixture_call(call);
}

}  // namespace
}  // namespace callsight::media
