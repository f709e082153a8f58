#pragma once

#include <stdexcept>

namespace callsight::media {

// A recording that cannot be turned into audio: a file that is not a classic pcap, media with
// no decodable audio, a call longer than the limit. The message names the part at fault and
// never quotes the file's bytes.
class MediaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace callsight::media
