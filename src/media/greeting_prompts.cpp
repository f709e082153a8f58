#include "media/greeting_prompts.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <set>
#include <stdexcept>
#include <system_error>

#include "common/base64.hpp"
#include "core/media/media_error.hpp"
#include "core/source_settings.hpp"
#include "core/voicemail_greeting.hpp"
#include "media/child_process.hpp"
#include "media/durable_file.hpp"
#include "store/failure_kind.hpp"
#include "store/greeting_store.hpp"
#include "store/source_store.hpp"

namespace callsight::media {
namespace {

// A sox WAV header is 44 bytes; less than 10 ms of 16-bit audio after it is no greeting.
constexpr std::uintmax_t kMinGreetingFileBytes = 44 + 160;

std::string base_name(Id greeting_id) { return "greeting-" + std::to_string(greeting_id); }

// The id of a file this job writes ("greeting-<digits>.wav" or ".txt"), else nullopt.
std::optional<Id> greeting_file_id(const std::string& name) {
  constexpr std::string_view prefix = "greeting-";
  if (name.size() <= prefix.size() + 4 || name.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;
  }
  const auto suffix = name.substr(name.size() - 4);
  if (suffix != ".wav" && suffix != ".txt") return std::nullopt;
  const auto digits = name.substr(prefix.size(), name.size() - prefix.size() - 4);
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return static_cast<Id>(std::stoll(digits));
}

}  // namespace

GreetingPrompts::GreetingPrompts(Store& store, GreetingOptions options, MetricsRegistry& metrics)
    : store_(store),
      options_(std::move(options)),
      outcomes_(metrics.counter("callsight_voicemail_greetings_total",
                                "Uploaded voicemail greetings written for the edge, by outcome: "
                                "rendered (new or changed audio), failed (tried again later), "
                                "removed (no number uses it any more).",
                                {"outcome"})) {}

GreetingPrompts::~GreetingPrompts() { thread_.stop(); }

void GreetingPrompts::start() {
  std::filesystem::create_directories(options_.directory);
  thread_.start(
      options_.interval, [this] { run_once(); },
      [](const std::exception& e) {
        spdlog::warn("voicemail greetings: pass failed: {}", e.what());
      });
}

GreetingPass GreetingPrompts::run_once() {
  GreetingPass pass;
  ++passes_;
  const auto table = store_.sources().routing_table();
  // The greetings numbers in use name, each looked up once as a customer using it sees it
  // (a system greeting is every customer's).
  std::map<Id, RoutableNumber const*> named;
  for (const auto& routable : table.numbers) {
    const auto& source = routable.holder.source;
    const auto settings =
        effective_settings(source, routable.campaign ? &*routable.campaign : nullptr);
    if (settings.vm_greeting_id) named.emplace(*settings.vm_greeting_id, &routable);
  }
  std::set<Id> kept;
  for (const auto& [greeting_id, routable] : named) {
    const auto& source = routable->holder.source;
    std::string marker;
    // Kept unless known to have no audio: a failure (the store away) leaves its file alone.
    kept.insert(greeting_id);
    try {
      const auto greeting = store_.greetings().find_greeting(source.partner_id, source.customer_id,
                                                             greeting_id, false);
      marker = greeting ? greeting_audio_marker(*greeting) : std::string();
      if (marker.empty()) {
        kept.erase(greeting_id);  // nothing recorded yet: the default greeting plays
        continue;
      }
      const auto base = options_.directory / base_name(greeting_id);
      if (read_small_file(base.string() + ".txt") == marker &&
          std::filesystem::exists(base.string() + ".wav")) {
        ++pass.current;
        continue;
      }
      const auto failure = failures_.find(greeting_id);
      if (failure != failures_.end() && failure->second.marker == marker &&
          passes_ - failure->second.pass < options_.retry_after_passes) {
        continue;  // failed lately with this audio: counted then, tried again later
      }
      const auto with_sound = store_.greetings().find_greeting(
          source.partner_id, source.customer_id, greeting_id, true);
      if (!with_sound || !with_sound->sounddata_base64) {
        throw MediaError("its audio is gone");
      }
      const auto audio = decode_base64(*with_sound->sounddata_base64);
      if (!audio) throw MediaError("its stored audio is not base64");
      render(greeting_id, *audio);
      std::ofstream out(base.string() + ".txt", std::ios::binary | std::ios::trunc);
      out << greeting_audio_marker(*with_sound);
      if (!out.flush()) throw MediaError("cannot write the greeting's marker file");
      failures_.erase(greeting_id);
      ++pass.rendered;
      outcomes_.labels({"rendered"}).inc();
    } catch (const std::exception& e) {
      // The greeting's name is the partner's text: the log names its id and the kind of
      // failure (the step, an exit code), never the error's text.
      spdlog::warn("voicemail greetings: greeting {}: {}", greeting_id, failure_kind(e));
      failures_[greeting_id] = {marker, passes_};
      ++pass.failed;
      outcomes_.labels({"failed"}).inc();
    }
  }
  // Files of greetings no number in use names (deleted, no longer chosen, or without audio):
  // the edge then plays the default greeting, as it would for a greeting never rendered.
  std::error_code error;
  for (std::filesystem::directory_iterator it(options_.directory, error), end; !error && it != end;
       it.increment(error)) {
    const auto name = it->path().filename().string();
    const auto id = greeting_file_id(name);
    if (!id || kept.contains(*id)) continue;
    remove_if_present(it->path());
    if (name.ends_with(".wav")) {
      ++pass.removed;
      outcomes_.labels({"removed"}).inc();
    }
  }
  for (auto it = failures_.begin(); it != failures_.end();) {
    it = named.contains(it->first) ? std::next(it) : failures_.erase(it);
  }
  return pass;
}

void GreetingPrompts::render(Id greeting_id, const std::string& audio) {
  const auto base = (options_.directory / base_name(greeting_id)).string();
  const auto upload = base + ".upload.tmp";
  const auto decoded = base + ".decoded.tmp.wav";
  const auto prompt = base + ".tmp.wav";
  const auto clean = [&] {
    remove_if_present(upload);
    remove_if_present(decoded);
    remove_if_present(prompt);
  };
  try {
    const auto format = greeting_audio_format(audio);
    if (format == GreetingAudioFormat::none) throw MediaError("neither WAV nor MP3");
    {
      std::ofstream out(upload, std::ios::binary | std::ios::trunc);
      out.write(audio.data(), static_cast<std::streamsize>(audio.size()));
      if (!out.flush()) throw MediaError("cannot write the upload to a temporary file");
    }
    std::string wav = upload;
    if (format == GreetingAudioFormat::mp3) {
      // Debian's sox reads no MP3; lame decodes it to WAV.
      run_child_step("lame", {options_.lame, "--quiet", "--decode", upload, decoded},
                     options_.timeout);
      wav = decoded;
    }
    // As scripts/make-prompts: 8 kHz mono 16-bit, no dither, cut at the longest greeting the
    // edge plays (as early media, before the voicemail platform answers).
    run_child_step(
        "sox",
        {options_.sox, "-D", "-t", "wav", wav, "-r", "8000", "-c", "1", "-b", "16", "-e",
         "signed-integer", prompt, "trim", "0", std::to_string(kMaxPlayedGreetingSeconds)},
        options_.timeout);
    if (std::filesystem::file_size(prompt) < kMinGreetingFileBytes) {
      throw MediaError("the audio holds no sound");
    }
    std::filesystem::rename(prompt, base + ".wav");
  } catch (...) {
    clean();
    throw;
  }
  clean();
}

}  // namespace callsight::media
