#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "common/metrics.hpp"
#include "common/periodic_thread.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight::media {

struct WhisperOptions {
  // Where whisper-<source id>.wav go: the directory the edge's rtpengine plays prompts from
  // (kamailio-run --prompts-dir), shared with it.
  std::filesystem::path directory;
  std::chrono::seconds interval{5};
  std::string espeak = "espeak-ng";  // program names or paths
  std::string sox = "sox";
  std::string voice = "en-us";
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
};

// What one pass did, for tests and the log.
struct WhisperPass {
  int rendered = 0;  // prompts written (new sources, renamed ones)
  int current = 0;   // prompts that already said the source's name
  int failed = 0;    // sources whose prompt could not be written; tried again next pass
};

// The whisper prompts job (docs/recordings.md, "Notice and whisper"): the edge plays
// <directory>/whisper-<source id>.wav to whoever answers a call to a source of a customer with
// whisper=1. Kamailio cannot speak, so each pass renders, with espeak-ng and sox as
// scripts/make-prompts does, the prompt of every such source in use whose prompt is missing or
// says another name (whisper-<id>.txt beside it holds the text it says). A prompt is written
// to a temporary name and renamed, so a call plays a whole old or a whole new one. Each source
// is handled on its own: a failure is logged and counted, and the next pass tries again.
class WhisperPrompts {
 public:
  WhisperPrompts(Store& store, WhisperOptions options, MetricsRegistry& metrics);
  ~WhisperPrompts();  // stops and joins, if started
  WhisperPrompts(const WhisperPrompts&) = delete;
  WhisperPrompts& operator=(const WhisperPrompts&) = delete;

  void start();  // a thread runs a pass every interval
  WhisperPass run_once();

 private:
  // Renders `text` into whisper-<id>.wav; throws std::runtime_error naming the step.
  void render(Id source_id, const std::string& text);

  Store& store_;
  const WhisperOptions options_;
  MetricFamily<Counter>& outcomes_;
  PeriodicThread thread_;  // runs run_once(); the destructor stops it first
};

// The words a source's whisper says: its name, trimmed; a source without one is announced by
// the generic whisper.wav instead (empty).
std::string whisper_text(const std::string& source_name);

}  // namespace callsight::media
