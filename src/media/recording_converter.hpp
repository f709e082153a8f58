#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/media/call_mix.hpp"
#include "core/media/endpoint.hpp"
#include "core/media/pcap.hpp"

// Turns rtpengine's pcap recording of a call into one stereo MP3: left the caller, right the
// answering party (docs/recordings.md).
namespace callsight::media {

// lame's settings. 8 kHz stereo MPEG-2.5 layer III at a constant 32 kbit/s: 16 kbit/s per
// channel for telephone speech that was 64 kbit/s of G.711, about 14 MB an hour. Constant bit
// rate so that every player knows the length and seeks; forced stereo (not joint) because the
// channels are two people, not one scene. -S: no progress display, but errors still reach
// standard error (--quiet silences those too).
inline const std::vector<std::string> kLameArguments = {"-S", "-m",         "s", "-b",
                                                        "32", "--resample", "8", "--noreplaygain"};

struct ConvertRequest {
  std::filesystem::path pcap;
  std::optional<std::filesystem::path> metadata;  // rtpengine's metadata file for the pcap
  std::optional<Endpoint> caller_address;         // where the caller's media comes from
  std::filesystem::path output;                   // the MP3; its directory must exist
  std::string lame = "lame";                      // program name or path
  std::chrono::milliseconds lame_timeout = std::chrono::minutes(10);
  MixLimits limits;
};

struct ConvertedRecording {
  std::filesystem::path path;
  std::uint64_t size_bytes = 0;
  std::int64_t duration_ms = 0;  // the call's media, as mixed (lame keeps it: see the tests)
  std::string sha256_hex;        // of the MP3
  MixStats stats;
  CaptureCounts capture;
};

// Reads the pcap (and metadata), mixes the call, writes a WAV beside the output, encodes it with
// lame and renames the MP3 into place atomically. Throws MediaError, naming the step that failed
// (with lame's standard error when lame fails); leaves no temporary file behind.
ConvertedRecording convert_recording(const ConvertRequest& request);

}  // namespace callsight::media
