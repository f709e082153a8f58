#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/media/endpoint.hpp"

// The metadata file rtpengine's pcap recording method moves to <recording-dir>/metadata/ when
// the recording ends (docs/recordings.md shows one).
namespace callsight::media {

struct RtpengineSdp {
  std::string mode;  // "offer" or "answer": the SDP rtpengine sent out for that operation
  std::string body;
};

struct RtpengineMetadata {
  std::string pcap_path;           // first line
  std::vector<RtpengineSdp> sdps;  // only when recording was on at offer or answer time
  std::string call_metadata;       // the ng `metadata` flag's text, after the end times
};

RtpengineMetadata parse_rtpengine_metadata(std::string_view text);

// rtpengine's socket that receives the caller's media: the audio address and port of the first
// answer SDP, which rtpengine sent to the caller (the offerer). Nothing without such an SDP.
// Assumes the caller made the offer, as for a call's first INVITE with SDP.
std::optional<Endpoint> caller_facing_endpoint(const RtpengineMetadata& metadata);

// The audio address and port of an SDP body: the first "m=audio" line's port, with the media's
// "c=" address or else the session's.
std::optional<Endpoint> sdp_audio_endpoint(std::string_view sdp);

}  // namespace callsight::media
