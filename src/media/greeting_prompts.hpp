#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "common/metrics.hpp"
#include "common/periodic_thread.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight::media {

struct GreetingOptions {
  // Where greeting-<vm_greeting_id>.wav go: the edge's prompts directory (kamailio-run
  // --prompts-dir), shared with its rtpengine, as for the whisper prompts.
  std::filesystem::path directory;
  std::chrono::seconds interval{5};
  std::string sox = "sox";  // program names or paths
  std::string lame = "lame";
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
  // A greeting that failed is tried again after this many passes (5 minutes at 5 s), not at
  // every pass: an upload sox cannot read stays unreadable.
  int retry_after_passes = 60;
};

// What one pass did, for tests and the log.
struct GreetingPass {
  int rendered = 0;  // greetings written (new, or their audio changed)
  int current = 0;   // greetings whose file is up to date
  int failed = 0;    // greetings that could not be written this pass
  int removed = 0;   // files of greetings no number uses any more (or deleted, or silent)
};

// The voicemail greetings job (docs/recordings.md, "Greetings"): the edge plays
// <directory>/greeting-<id>.wav to a caller whose call reaches voicemail when its route names
// an uploaded greeting, and the default greeting when that file does not exist. Each pass
// writes the greeting of every number in use (its source's vm_greeting_id, else its
// campaign's) that has audio and whose file is missing or older than its audio
// (greeting-<id>.txt beside it holds core's greeting_audio_marker), and removes the files of
// greetings no number uses any more. Uploads are WAV or MP3 (core's decode_greeting_audio);
// MP3 is decoded with lame, then sox makes 8 kHz mono 16-bit WAV cut at
// kMaxPlayedGreetingSeconds; audio without a sample counts as unreadable. A file is written
// to a temporary name and renamed, so a call plays a whole old or a whole new one. Each
// greeting is handled on its own: a failure is logged (by id) and counted, and that greeting
// is tried again after retry_after_passes passes, or at once when its audio changes.
class GreetingPrompts {
 public:
  GreetingPrompts(Store& store, GreetingOptions options, MetricsRegistry& metrics);
  ~GreetingPrompts();  // stops and joins, if started
  GreetingPrompts(const GreetingPrompts&) = delete;
  GreetingPrompts& operator=(const GreetingPrompts&) = delete;

  void start();  // a thread runs a pass every interval
  GreetingPass run_once();

 private:
  // Writes greeting-<id>.wav from the audio's bytes; throws std::runtime_error naming the
  // step.
  void render(Id greeting_id, const std::string& audio);

  Store& store_;
  const GreetingOptions options_;
  MetricFamily<Counter>& outcomes_;
  // Greetings that failed: the marker they failed with and the pass they failed in. Only
  // run_once touches it (one pass at a time).
  struct Failure {
    std::string marker;
    std::int64_t pass = 0;
  };
  std::map<Id, Failure> failures_;
  std::int64_t passes_ = 0;
  PeriodicThread thread_;  // runs run_once(); the destructor stops it first
};

}  // namespace callsight::media
