#include "media/recording_pickup.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <fstream>
#include <map>
#include <system_error>

#include "core/media/media_error.hpp"
#include "core/recording.hpp"
#include "media/durable_file.hpp"
#include "media/recording_converter.hpp"
#include "store/call_record_store.hpp"
#include "store/failure_kind.hpp"
#include "store/mail_store.hpp"

namespace callsight::media {
namespace {

constexpr std::string_view kMetadataPrefix = "rtpengine-meta-";
constexpr std::string_view kMetadataSuffix = ".txt";
constexpr std::size_t kRandomSuffix = 17;  // "-" and 16 hex digits

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int hex_value(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return std::nullopt;
    }
    out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
    i += 2;
  }
  return out;
}

std::chrono::seconds age_of(const std::filesystem::path& path) {
  std::error_code error;
  const auto written = std::filesystem::last_write_time(path, error);
  if (error) return std::chrono::seconds(0);
  return std::chrono::duration_cast<std::chrono::seconds>(
      std::filesystem::file_time_type::clock::now() - written);
}

}  // namespace

std::optional<std::string> call_id_of_metadata(const std::string& file_name) {
  const std::string_view name(file_name);
  if (!name.starts_with(kMetadataPrefix) || !name.ends_with(kMetadataSuffix)) return std::nullopt;
  auto middle = name.substr(kMetadataPrefix.size(),
                            name.size() - kMetadataPrefix.size() - kMetadataSuffix.size());
  if (middle.size() <= kRandomSuffix || middle[middle.size() - kRandomSuffix] != '-') {
    return std::nullopt;
  }
  for (const char c : middle.substr(middle.size() - kRandomSuffix + 1)) {
    if (!is_hex(c)) return std::nullopt;
  }
  return percent_decoded(middle.substr(0, middle.size() - kRandomSuffix));
}

std::optional<std::filesystem::path> pcap_of_metadata(const std::string& text) {
  const auto line = std::string_view(text).substr(0, text.find('\n'));
  if (line.empty() || !line.ends_with(".pcap")) return std::nullopt;
  return std::filesystem::path(std::string(line));
}

RecordingPickup::RecordingPickup(Store& store, const Clock& clock, RecordingDirectory& directory,
                                 PickupOptions options, MetricsRegistry& metrics,
                                 RowFailureHandler on_expiry_failure)
    : store_(store),
      clock_(clock),
      directory_(directory),
      options_(std::move(options)),
      outcomes_(metrics.counter(
          "callsight_recordings_picked_up_total",
          "Finished call recordings this node handled, by outcome: stored (added to the call), "
          "discarded (nobody answered, or the call had one), failed (an attempt that failed), "
          "set_aside (moved to failed/ after its last attempt), expired (retention).",
          {"outcome"})),
      voicemail_mails_(metrics
                           .counter("callsight_voicemail_mails_queued_total",
                                    "New-voicemail mails queued when a call's message was "
                                    "stored (notify_on_new_voicemail and an address).")
                           .unlabelled()),
      expiry_batch_(options_.expiry_batch),
      on_expiry_failure_(on_expiry_failure
                             ? std::move(on_expiry_failure)
                             : [](Id id, const std::exception& error) {
                                 // The kind only: the error's text may quote stored values.
                                 spdlog::warn("recordings: recording {} not expired ({})", id,
                                              failure_kind(error));
                               }) {}

RecordingPickup::~RecordingPickup() { thread_.stop(); }

void RecordingPickup::start() {
  thread_.start(
      options_.interval, [this] { run_once(); },
      [](const std::exception& e) { spdlog::error("recordings: pass failed: {}", e.what()); });
}

PickupPass RecordingPickup::run_once() {
  PickupPass pass;
  std::map<std::string, int> still_failing;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(options_.spool / "metadata", error)) {
    const auto name = entry.path().filename().string();
    // Declared outside the try: a failure is handled (counted, set aside) under the claim.
    std::optional<SpoolClaim> claim;
    try {
      switch (pick_up(entry.path(), pass, claim)) {
        case Outcome::stored:
          ++pass.stored;
          break;
        case Outcome::discarded:
          ++pass.discarded;
          break;
        case Outcome::waiting:
          ++pass.waiting;
          break;
        case Outcome::elsewhere:
          ++pass.elsewhere;
          break;
      }
    } catch (const std::exception& e) {
      // Another node sharing the spool finished this call meanwhile: not a failure.
      if (!std::filesystem::exists(entry.path())) continue;
      ++pass.failed;
      outcomes_.labels({"failed"}).inc();
      // The kind of failure (the step, an exit code), never the error's text: a database's
      // may quote stored values.
      spdlog::warn("recordings: {} not picked up ({})", name, failure_kind(e));
      if (const int attempts = failures_[name] + 1; attempts < options_.attempts) {
        still_failing[name] = attempts;
      } else {
        set_aside(entry.path());
      }
    }
  }
  // Only the files that failed this pass are remembered: one gone since is forgotten.
  failures_ = std::move(still_failing);
  if (const int removed = remove_lapsed_claims(options_.spool / "claims",
                                               options_.spool / "metadata", options_.claim_lapse)) {
    spdlog::warn("recordings: {} lapsed claim(s) of finished calls removed", removed);
  }
  pass.expired = expire_recordings();
  return pass;
}

RecordingPickup::Outcome RecordingPickup::pick_up(const std::filesystem::path& metadata,
                                                  PickupPass& pass,
                                                  std::optional<SpoolClaim>& claim) {
  const auto call_id = call_id_of_metadata(metadata.filename().string());
  const auto text = read_small_file(metadata);
  const auto pcap = pcap_of_metadata(text);
  if (!call_id || !pcap) throw MediaError("not an rtpengine metadata file");
  // The spool's own pcaps/ (the metadata names rtpengine's path, which a node sharing the
  // spool through another mount sees elsewhere).
  const auto local_pcap = options_.spool / "pcaps" / pcap->filename();
  const auto call = store_.calls().find_call_by_switch_id(*call_id);
  if (!call) {
    if (age_of(metadata) < options_.orphan_after) return Outcome::waiting;
    throw MediaError("no call has this recording's call id");
  }
  if (!call->ended_at && age_of(metadata) < options_.end_wait) return Outcome::waiting;
  // One node handles the entry; another that claimed it first is converting it, or has just
  // finished it (the claim is released after the entry left the spool).
  claim = SpoolClaim::try_claim(options_.spool / "claims", metadata.filename().string(),
                                options_.claim_lapse);
  if (!claim || !std::filesystem::exists(metadata)) return Outcome::elsewhere;
  if (claim->took_over()) {
    spdlog::warn("recordings: {} was claimed by a node that stopped; taken over",
                 metadata.filename().string());
  }
  if (!keeps_recording(*call)) {
    remove_if_present(local_pcap);
    remove_if_present(metadata);
    outcomes_.labels({"discarded"}).inc();
    return Outcome::discarded;
  }
  const auto now = clock_.now();
  const auto file_name = directory_.new_file_name(call->partner_id, now);
  const auto mp3 = directory_.path_of(file_name);
  std::filesystem::create_directories(mp3.parent_path());
  try {
    const auto converted =
        convert_recording({.pcap = local_pcap, .metadata = metadata, .output = mp3});
    const RecordingFile file{.file_name = file_name,
                             .bytes = static_cast<std::int64_t>(converted.size_bytes),
                             .duration_ms = converted.duration_ms,
                             .sha256 = converted.sha256_hex};
    const auto stored =
        store_.recordings().add_recording(*call_id, recording_kind_of(*call), file, now);
    if (!stored.added) directory_.remove(file_name);
    // Also when the call had its recording already: a pass that stored the message and
    // stopped before this (a crash) left these files, and the mail is queued once per call.
    if (stored.recording.kind == RecordingKind::voicemail &&
        queue_voicemail_mail(stored.recording)) {
      ++pass.voicemail_mails;
    }
    outcomes_.labels({stored.added ? "stored" : "discarded"}).inc();
    remove_if_present(local_pcap);
    remove_if_present(metadata);
    if (stored.added) {
      spdlog::info("recordings: call {} recorded, {} ms, recording {}", call->id, file.duration_ms,
                   stored.recording.recording_id);
    }
    return stored.added ? Outcome::stored : Outcome::discarded;
  } catch (...) {
    directory_.remove(file_name);
    throw;
  }
}

bool RecordingPickup::queue_voicemail_mail(const Recording& recording) {
  const auto expires = clock_.now() + options_.voicemail_link_lifetime;
  const auto link =
      recording_audio_link(options_.public_url, options_.link_secret, recording.recording_id,
                           expires.time_since_epoch().count());
  if (!store_.mail().queue_voicemail_mail(recording.cdr_id, link)) return false;
  voicemail_mails_.inc();
  spdlog::info("recordings: voicemail mail queued for call {}", recording.cdr_id);
  return true;
}

void RecordingPickup::set_aside(const std::filesystem::path& metadata) {
  const auto failed = options_.spool / "failed";
  std::filesystem::create_directories(failed);
  std::error_code ignored;
  try {
    if (const auto pcap = pcap_of_metadata(read_small_file(metadata))) {
      std::filesystem::rename(options_.spool / "pcaps" / pcap->filename(),
                              failed / pcap->filename(), ignored);
    }
  } catch (const std::exception&) {
    // unreadable: the metadata file alone is set aside
  }
  std::filesystem::rename(metadata, failed / metadata.filename(), ignored);
  outcomes_.labels({"set_aside"}).inc();
  spdlog::error("recordings: {} set aside in {} after {} attempts", metadata.filename().string(),
                failed.string(), options_.attempts);
}

// Not every pass: retention is counted in days.
int RecordingPickup::expire_recordings() {
  const auto now_steady = std::chrono::steady_clock::now();
  if (last_expiry_ && now_steady - *last_expiry_ < options_.expiry_interval) return 0;
  last_expiry_ = now_steady;
  int failed = 0;
  const auto released = store_.recordings().expire_due(clock_.now(), expiry_batch_.limit(),
                                                       [&](Id id, const std::exception& error) {
                                                         ++failed;
                                                         on_expiry_failure_(id, error);
                                                       });
  expiry_batch_.pass_done(failed);
  for (const auto& audio : released) {
    if (!audio.file_name.empty()) directory_.remove(audio.file_name);
  }
  if (!released.empty()) outcomes_.labels({"expired"}).inc(released.size());
  return static_cast<int>(released.size());
}

}  // namespace callsight::media
