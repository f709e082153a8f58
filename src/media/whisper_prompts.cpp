#include "media/whisper_prompts.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <set>
#include <stdexcept>

#include "core/media/media_error.hpp"
#include "media/child_process.hpp"
#include "media/durable_file.hpp"
#include "store/failure_kind.hpp"
#include "store/source_store.hpp"

namespace callsight::media {

std::string whisper_text(const std::string& source_name) {
  const auto first = source_name.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = source_name.find_last_not_of(" \t\r\n");
  return source_name.substr(first, last - first + 1);
}

WhisperPrompts::WhisperPrompts(Store& store, WhisperOptions options, MetricsRegistry& metrics)
    : store_(store),
      options_(std::move(options)),
      outcomes_(metrics.counter("callsight_whisper_prompts_total",
                                "Whisper prompts of sources, by outcome: rendered (new or "
                                "renamed source), failed (tried again next pass).",
                                {"outcome"})) {}

WhisperPrompts::~WhisperPrompts() { thread_.stop(); }

void WhisperPrompts::start() {
  std::filesystem::create_directories(options_.directory);
  thread_.start(
      options_.interval, [this] { run_once(); },
      [](const std::exception& e) { spdlog::warn("whisper prompts: pass failed: {}", e.what()); });
}

WhisperPass WhisperPrompts::run_once() {
  WhisperPass pass;
  const auto table = store_.sources().routing_table();
  std::set<Id> seen;  // a pool holds many numbers: one prompt
  for (const auto& routable : table.numbers) {
    const auto& source = routable.holder.source;
    if (!routable.whisper || !seen.insert(source.id).second) continue;
    const auto text = whisper_text(source.name);
    if (text.empty()) continue;
    const auto base = "whisper-" + std::to_string(source.id);
    if (read_small_file(options_.directory / (base + ".txt")) == text &&
        std::filesystem::exists(options_.directory / (base + ".wav"))) {
      ++pass.current;
      continue;
    }
    try {
      render(source.id, text);
      ++pass.rendered;
      outcomes_.labels({"rendered"}).inc();
    } catch (const std::exception& e) {
      // The name is the partner's text: the log names the source and the kind of failure (the
      // step, an exit code), never the error's text, which may quote the name.
      spdlog::warn("whisper prompts: source {}: {}", source.id, failure_kind(e));
      ++pass.failed;
      outcomes_.labels({"failed"}).inc();
    }
  }
  return pass;
}

void WhisperPrompts::render(Id source_id, const std::string& text) {
  const auto base = options_.directory / ("whisper-" + std::to_string(source_id));
  const auto speech = base.string() + ".speech.tmp.wav";
  const auto prompt = base.string() + ".tmp.wav";
  try {
    // "--" ends the options: a name starting with '-' is words, not a flag.
    run_child_step("espeak-ng",
                   {options_.espeak, "-v", options_.voice, "-s", "150", "-w", speech, "--", text},
                   options_.timeout);
    // As scripts/make-prompts: 8 kHz mono 16-bit, no dither (the same name, the same bytes).
    run_child_step("sox",
                   {options_.sox, "-D", speech, "-r", "8000", "-c", "1", "-b", "16", "-e",
                    "signed-integer", prompt},
                   options_.timeout);
    std::filesystem::rename(prompt, base.string() + ".wav");
    std::ofstream said(base.string() + ".txt", std::ios::binary | std::ios::trunc);
    said << text;
    if (!said.flush()) throw MediaError("cannot write the prompt's text file");
  } catch (...) {
    remove_if_present(speech);
    remove_if_present(prompt);
    throw;
  }
  remove_if_present(speech);
}

}  // namespace callsight::media
