#include "core/media/call_mix.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_set>

#include "core/media/g711.hpp"
#include "core/media/media_error.hpp"

namespace callsight::media {

namespace {

constexpr int kCaller = 0;
constexpr int kCallee = 1;
constexpr std::int64_t kMicrosPerSample = 1'000'000 / StereoAudio::kSampleRate;
// A timestamp this far from where its arrival time puts it starts a new stream: its sender
// restarted its timestamps under the same SSRC. Far beyond any jitter; a network stall delays
// packets but leaves their timestamps alone, so it moves audio by at most the stall.
constexpr std::int64_t kTimestampJumpUs = 10'000'000;

// One SSRC's run of consistent timestamps in one direction.
struct Stream {
  int channel = kCaller;
  std::uint32_t ssrc = 0;
  std::int64_t first_timestamp = 0;  // unwrapped; offsets count from here
  std::int64_t last_timestamp = 0;
  std::int64_t last_sequence = 0;
  std::unordered_set<std::int64_t> sequences;
  // When timestamp first_timestamp would have arrived: the earliest any audio packet implies
  // (arrival minus its offset), so one late first packet does not shift the stream.
  std::optional<std::int64_t> anchor_us;
  std::int64_t first_audio_offset = 0;  // smallest offset of an audio packet, in samples
};

struct Placement {
  std::size_t packet = 0;
  std::size_t stream = 0;
  std::int64_t offset = 0;  // samples after the stream's first timestamp
};

std::int64_t unwrap32(std::int64_t previous, std::uint32_t value) {
  return previous + static_cast<std::int32_t>(value - static_cast<std::uint32_t>(previous));
}

std::int64_t unwrap16(std::int64_t previous, std::uint16_t value) {
  return previous + static_cast<std::int16_t>(value - static_cast<std::uint16_t>(previous));
}

bool is_decoded(PayloadKind kind) { return kind == PayloadKind::pcmu || kind == PayloadKind::pcma; }

struct CallerRule {
  Endpoint destination;  // rtpengine's socket receiving the caller's packets
  bool port_only = false;
  CallerFoundBy found_by = CallerFoundBy::first_audio;
};

bool sent_from(const RtpPacket& packet, const Endpoint& address) {
  return packet.source.same_address(address) &&
         (address.port == 0 || packet.source.port == address.port);
}

std::optional<CallerRule> caller_rule(std::span<const RtpPacket> packets,
                                      const PayloadMap& payload_types,
                                      const CallerIdentification& caller) {
  if (const auto& facing = caller.caller_facing_endpoint) {
    for (const auto& packet : packets) {
      if (packet.destination.port == facing->port) {
        return CallerRule{packet.destination, true, CallerFoundBy::caller_facing_endpoint};
      }
    }
  }
  if (const auto& address = caller.caller_address) {
    for (const auto& packet : packets) {
      if (sent_from(packet, *address)) {
        return CallerRule{packet.destination, false, CallerFoundBy::caller_address};
      }
    }
  }
  for (const auto& packet : packets) {
    if (is_decoded(payload_types.kind(packet.payload_type))) {
      return CallerRule{packet.destination, false, CallerFoundBy::first_audio};
    }
  }
  return std::nullopt;
}

int channel_of(const RtpPacket& packet, const std::optional<CallerRule>& rule) {
  if (!rule) return kCallee;
  const bool to_caller_socket = rule->port_only ? packet.destination.port == rule->destination.port
                                                : packet.destination == rule->destination;
  return to_caller_socket ? kCaller : kCallee;
}

// Splits packets into streams and notes where each audio packet goes within its stream.
class StreamBuilder {
 public:
  StreamBuilder(std::span<const RtpPacket> packets, const PayloadMap& payload_types,
                const std::optional<CallerRule>& rule)
      : packets_(packets), payload_types_(payload_types), rule_(rule) {}

  void run() {
    for (std::size_t i = 0; i < packets_.size(); ++i) take(i);
    for (const auto& stream : streams_) {
      auto& channel = stats_[stream.channel];
      ++channel.streams;
      const auto [low, high] =
          std::minmax_element(stream.sequences.begin(), stream.sequences.end());
      const auto expected = static_cast<std::uint64_t>(*high - *low + 1);
      channel.lost_packets += expected - stream.sequences.size();
    }
  }

  std::vector<Stream> streams_;
  std::vector<Placement> placements_;
  ChannelStats stats_[2];
  std::uint64_t other_audio_[2] = {0, 0};

 private:
  void take(std::size_t index) {
    const auto& packet = packets_[index];
    const int channel = channel_of(packet, rule_);
    auto stream_index = stream_for(packet, channel);
    auto& stream = streams_[stream_index];
    const auto timestamp = unwrap32(stream.last_timestamp, packet.timestamp);
    const auto sequence = unwrap16(stream.last_sequence, packet.sequence);
    if (!stream.sequences.insert(sequence).second) {
      ++stats_[channel].duplicate_packets;
      return;
    }
    stream.last_timestamp = timestamp;
    stream.last_sequence = sequence;
    const auto kind = payload_types_.kind(packet.payload_type);
    if (!is_decoded(kind)) {
      ++stats_[channel].skipped_payload_types[packet.payload_type];
      if (kind == PayloadKind::other_audio) ++other_audio_[channel];
      return;
    }
    if (packet.payload.empty()) return;  // no samples: neither audio nor a start of the call
    const auto offset = timestamp - stream.first_timestamp;
    const auto implied_anchor = packet.arrival_us - offset * kMicrosPerSample;
    const bool first_audio = !stream.anchor_us;
    if (first_audio || implied_anchor < *stream.anchor_us) stream.anchor_us = implied_anchor;
    if (first_audio || offset < stream.first_audio_offset) stream.first_audio_offset = offset;
    placements_.push_back({index, stream_index, offset});
    ++stats_[channel].audio_packets;
  }

  // The packet's current stream, or a new one for a new SSRC or a jump of its timestamps.
  std::size_t stream_for(const RtpPacket& packet, int channel) {
    const auto key = std::pair{channel, packet.ssrc};
    const auto current = current_.find(key);
    if (current != current_.end() && !jumped(streams_[current->second], packet)) {
      return current->second;
    }
    Stream stream;
    stream.channel = channel;
    stream.ssrc = packet.ssrc;
    stream.first_timestamp = stream.last_timestamp = packet.timestamp;
    stream.last_sequence = packet.sequence;
    streams_.push_back(std::move(stream));
    current_[key] = streams_.size() - 1;
    return streams_.size() - 1;
  }

  static bool jumped(const Stream& stream, const RtpPacket& packet) {
    if (!stream.anchor_us) return false;
    const auto offset = unwrap32(stream.last_timestamp, packet.timestamp) - stream.first_timestamp;
    const auto expected_arrival = *stream.anchor_us + offset * kMicrosPerSample;
    return std::llabs(packet.arrival_us - expected_arrival) > kTimestampJumpUs;
  }

  std::span<const RtpPacket> packets_;
  const PayloadMap& payload_types_;
  const std::optional<CallerRule>& rule_;
  std::map<std::pair<int, std::uint32_t>, std::size_t> current_;
};

std::string channel_name(int channel) { return channel == kCaller ? "caller" : "callee"; }

std::string type_list(const std::map<std::uint8_t, std::uint64_t>& types) {
  std::string text;
  for (const auto& [type, count] : types) {
    text += (text.empty() ? "" : ", ") + std::to_string(type);
  }
  return text;
}

void require_decodable_audio(const StreamBuilder& builder) {
  for (const int channel : {kCaller, kCallee}) {
    if (builder.stats_[channel].audio_packets == 0 && builder.other_audio_[channel] > 0) {
      throw MediaError(channel_name(channel) + " media: no decodable audio; payload types seen: " +
                       type_list(builder.stats_[channel].skipped_payload_types) +
                       " (only G.711, PCMU and PCMA, is decoded)");
    }
  }
  if (builder.placements_.empty()) throw MediaError("recording: no G.711 audio packets");
}

// When the call's first audio was sent: the earliest start of any stream's audio.
std::int64_t call_start_us(const std::vector<Stream>& streams) {
  std::optional<std::int64_t> start;
  for (const auto& stream : streams) {
    if (!stream.anchor_us) continue;
    const auto stream_start = *stream.anchor_us + stream.first_audio_offset * kMicrosPerSample;
    if (!start || stream_start < *start) start = stream_start;
  }
  return *start;
}

// Writes every second sample: `out` points at the packet's first frame, in its channel.
void decode_into(const RtpPacket& packet, PayloadKind kind, std::int16_t* out) {
  for (const auto code : packet.payload) {
    *out = kind == PayloadKind::pcmu ? decode_ulaw(code) : decode_alaw(code);
    out += StereoAudio::kChannels;
  }
}

}  // namespace

CallAudio mix_call(std::span<const RtpPacket> packets, const PayloadMap& payload_types,
                   const CallerIdentification& caller, MixLimits limits) {
  const auto rule = caller_rule(packets, payload_types, caller);
  StreamBuilder builder(packets, payload_types, rule);
  builder.run();
  require_decodable_audio(builder);

  CallAudio result;
  result.stats.caller = builder.stats_[kCaller];
  result.stats.callee = builder.stats_[kCallee];
  result.stats.caller_found_by = rule->found_by;
  const auto start = call_start_us(builder.streams_);
  result.stats.start_us = start;

  // Samples go straight into the interleaved buffer: a long call is held once, not twice.
  const auto max_frames = limits.max_seconds * StereoAudio::kSampleRate;
  auto& interleaved = result.audio.interleaved;
  for (const auto& placement : builder.placements_) {
    const auto& stream = builder.streams_[placement.stream];
    const auto& packet = packets[placement.packet];
    const auto stream_position =
        std::llround(static_cast<double>(*stream.anchor_us - start) / kMicrosPerSample);
    const auto position = std::max<std::int64_t>(0, stream_position + placement.offset);
    const auto end = position + static_cast<std::int64_t>(packet.payload.size());
    if (end > max_frames) {
      throw MediaError("recording: media longer than " + std::to_string(limits.max_seconds) + " s");
    }
    const auto needed = static_cast<std::size_t>(end) * StereoAudio::kChannels;
    if (interleaved.size() < needed) interleaved.resize(needed);
    decode_into(packet, payload_types.kind(packet.payload_type),
                interleaved.data() + position * StereoAudio::kChannels + stream.channel);
  }
  return result;
}

}  // namespace callsight::media
