#pragma once

#include <iosfwd>
#include <string>

namespace callsight::app {

struct RecordingConvertOptions {
  std::string pcap;
  std::string out;
  std::string metadata;        // empty: none
  std::string caller_address;  // empty: none; else IP:PORT ([v6]:PORT), port 0 for any
  std::string lame = "lame";
};

// `callsight recording-convert`: turns an rtpengine pcap into a stereo MP3 (caller left,
// callee right) and prints what it found, one "name: value" line each. Throws on bad options
// and on MediaError.
void recording_convert_command(const RecordingConvertOptions& options, std::ostream& out);

}  // namespace callsight::app
