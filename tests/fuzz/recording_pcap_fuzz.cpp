// A recording's pcap file as rtpengine (or anyone) wrote it: read_pcap (link layers, IPv4, IPv6,
// UDP, RTP headers) and mix_call over what it kept, with each way of finding the caller, then
// the WAV of the result. Input: the pcap file's bytes.
#include <cstdint>
#include <span>

#include "core/media/call_mix.hpp"
#include "core/media/media_error.hpp"
#include "core/media/pcap.hpp"
#include "core/media/wav.hpp"
#include "fuzz_target.hpp"

CALLSIGHT_FUZZ_TARGET(recording_pcap) {
  using namespace callsight::media;
  const std::span bytes(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  Capture capture;
  try {
    capture = read_pcap(bytes);
  } catch (const MediaError&) {
    return;
  }
  for (const auto& packet : capture.packets) {
    // Every payload lies inside the input.
    if (packet.payload.data() < bytes.data() ||
        packet.payload.data() + packet.payload.size() > bytes.data() + bytes.size()) {
      __builtin_trap();
    }
  }
  if (capture.packets.empty()) return;
  const auto& first = capture.packets.front();
  const CallerIdentification ways[] = {
      {.caller_facing_endpoint = first.destination}, {.caller_address = first.source}, {}};
  for (const auto& caller : ways) {
    try {
      // Ten seconds: the limit's error path is reached, and a run stays cheap.
      const auto call =
          mix_call(capture.packets, PayloadMap::static_types(), caller, {.max_seconds = 10});
      if (call.audio.interleaved.size() % 2 != 0 || call.audio.frames() == 0) __builtin_trap();
      const auto wav = wav_file(call.audio.interleaved, 2, 8000);
      if (wav.size() != 44 + 2 * call.audio.interleaved.size()) __builtin_trap();
    } catch (const MediaError&) {
    }
  }
}
