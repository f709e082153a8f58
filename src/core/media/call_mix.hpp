#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "core/media/endpoint.hpp"
#include "core/media/payload_types.hpp"
#include "core/media/rtp_packet.hpp"

// Lays a call's two directions of RTP side by side as one stereo recording: left the caller,
// right the answering party, on one time line that starts when the call's first audio arrived.
namespace callsight::media {

// How to tell the caller's packets from the callee's. rtpengine records the packets it receives,
// each with its sender as source and its own socket as destination (docs/recordings.md), so a
// direction is the set of packets sent to one of its sockets.
struct CallerIdentification {
  // rtpengine's socket that receives the caller's media, from the metadata's answer SDP. Matched
  // by port alone: the SDP carries the advertised address, which behind NAT is not the socket's.
  std::optional<Endpoint> caller_facing_endpoint;
  // Where the caller sends from (its SDP's address and port; port 0: any port of that address).
  std::optional<Endpoint> caller_address;
};

enum class CallerFoundBy {
  caller_facing_endpoint,
  caller_address,
  first_audio,  // a guess: whoever sent the first decodable audio is taken as the caller
};

struct ChannelStats {
  std::uint64_t audio_packets = 0;      // decoded into the channel
  std::uint64_t duplicate_packets = 0;  // same stream and sequence number as an earlier one
  std::uint64_t lost_packets = 0;       // sequence numbers missing inside each stream
  std::uint64_t streams = 0;            // SSRCs, plus restarts of one SSRC's timestamps
  std::map<std::uint8_t, std::uint64_t> skipped_payload_types;  // packets per type not decoded
};

struct MixStats {
  ChannelStats caller;
  ChannelStats callee;
  CallerFoundBy caller_found_by = CallerFoundBy::first_audio;
  std::int64_t start_us = 0;  // when the first audio was sent, microseconds since the epoch
};

struct StereoAudio {
  static constexpr int kSampleRate = 8000;
  static constexpr int kChannels = 2;
  std::vector<std::int16_t> interleaved;  // left (caller), right (callee), left, ...

  std::size_t frames() const { return interleaved.size() / kChannels; }
  std::int64_t duration_ms() const {
    return static_cast<std::int64_t>(frames()) * 1000 / kSampleRate;
  }
};

struct CallAudio {
  StereoAudio audio;
  MixStats stats;
};

struct MixLimits {
  std::int64_t max_seconds = 6 * 3600;  // longer media is refused, not allocated
};

// Decodes the G.711 packets (the PayloadMap says which) and places each by its RTP timestamp,
// unwrapped across the 32-bit wrap, so that reordered packets land in order, duplicates once,
// and lost packets and silence suppression leave silence. Each stream (SSRC) is put on the call's
// time line by the arrival times of its packets. Throws MediaError when no packet holds G.711
// audio, when one direction holds audio of another codec only, or past the limits.
CallAudio mix_call(std::span<const RtpPacket> packets, const PayloadMap& payload_types,
                   const CallerIdentification& caller, MixLimits limits = {});

}  // namespace callsight::media
