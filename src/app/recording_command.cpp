#include "app/recording_command.hpp"

#include <ostream>
#include <stdexcept>

#include "core/media/endpoint.hpp"
#include "media/recording_converter.hpp"

namespace callsight::app {

namespace {

const char* found_by_text(media::CallerFoundBy found_by) {
  switch (found_by) {
    case media::CallerFoundBy::caller_facing_endpoint:
      return "metadata (rtpengine's socket in the answer SDP)";
    case media::CallerFoundBy::caller_address:
      return "caller address";
    case media::CallerFoundBy::first_audio:
      return "guess (the first to send audio; give --metadata or --caller-address)";
  }
  return "";
}

void print_channel(std::ostream& out, const char* name, const media::ChannelStats& stats) {
  out << name << ": " << stats.audio_packets << " audio packets, " << stats.lost_packets
      << " lost, " << stats.duplicate_packets << " duplicates, " << stats.streams << " streams";
  for (const auto& [type, count] : stats.skipped_payload_types) {
    out << ", skipped payload type " << int{type} << " x" << count;
  }
  out << '\n';
}

}  // namespace

void recording_convert_command(const RecordingConvertOptions& options, std::ostream& out) {
  media::ConvertRequest request;
  request.pcap = options.pcap;
  request.output = options.out;
  request.lame = options.lame;
  if (!options.metadata.empty()) request.metadata = options.metadata;
  if (!options.caller_address.empty()) {
    request.caller_address = media::parse_endpoint(options.caller_address);
    if (!request.caller_address) {
      throw std::invalid_argument("--caller-address: not IP:PORT or [IPv6]:PORT");
    }
  }
  const auto converted = media::convert_recording(request);
  const auto& stats = converted.stats;
  out << "file: " << converted.path.string() << '\n'
      << "duration_ms: " << converted.duration_ms << '\n'
      << "channels: 2 (left caller, right callee)\n"
      << "caller found by: " << found_by_text(stats.caller_found_by) << '\n';
  print_channel(out, "caller", stats.caller);
  print_channel(out, "callee", stats.callee);
  const auto& capture = converted.capture;
  out << "capture: " << capture.frames << " frames, " << capture.rtp << " RTP, " << capture.rtcp
      << " RTCP, " << capture.not_rtp + capture.not_udp + capture.ip_fragments << " other, "
      << capture.malformed << " malformed"
      << (capture.truncated_last_record ? ", last record cut off" : "") << '\n'
      << "size_bytes: " << converted.size_bytes << '\n'
      << "sha256: " << converted.sha256_hex << '\n';
}

}  // namespace callsight::app
