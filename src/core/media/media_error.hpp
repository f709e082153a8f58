#pragma once

#include <stdexcept>

namespace callsight::media {

// A recording that cannot be turned into audio: a file that is not a classic pcap, media with
// no decodable audio, a call longer than the limit; or a step of the media jobs that failed (a
// child process's exit code, a file that cannot be written). The message names the step or
// the part at fault and never quotes data (the file's bytes, stored text, a child process's
// standard error): jobs log it as it is (store/failure_kind).
class MediaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace callsight::media
