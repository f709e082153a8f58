#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "common/failing_rows_on_top.hpp"
#include "common/metrics.hpp"
#include "common/periodic_thread.hpp"
#include "core/clock.hpp"
#include "core/media/spool_claim.hpp"
#include "media/recording_directory.hpp"
#include "media/spool_claim.hpp"
#include "store/recording_store.hpp"
#include "store/store.hpp"

namespace callsight::media {

struct PickupOptions {
  std::filesystem::path spool;  // rtpengine's --recording-dir: pcaps/ and metadata/
  std::chrono::seconds interval{1};
  // How long a finished recording waits for its call's end to arrive from the edge before it
  // is taken as it is (the call sweep closes such calls as unknown).
  std::chrono::seconds end_wait{60};
  // A recording no call claims (a call the switch never routed) is set aside after this.
  std::chrono::seconds orphan_after{std::chrono::minutes(10)};
  int attempts = 3;  // conversions tried before a recording is set aside in failed/
  // How long a node's claim on a spool entry (<spool>/claims/) keeps the other nodes from
  // handling it: longer than a conversion takes, so only a stopped node's claim lapses.
  std::chrono::seconds claim_lapse = kSpoolClaimLapse;
  // How often recordings past their partner's retention are looked for.
  std::chrono::seconds expiry_interval{60};
  // Recordings expired per expiry pass, oldest first; more wait for the next pass.
  int expiry_batch = 500;
  // The new-voicemail mail's link to the message (core recording_audio_link): the API's
  // public address, the key links are signed with, and how long the link works.
  std::string public_url;
  std::string link_secret;
  std::chrono::seconds voicemail_link_lifetime{std::chrono::days(7)};
};

// What one pass did, for tests and the log.
struct PickupPass {
  int stored = 0;           // recordings added to their calls
  int discarded = 0;        // media of calls nobody answered, or a second copy of one
  int waiting = 0;          // left for a later pass (call not ended yet)
  int elsewhere = 0;        // left to the node sharing the spool that claimed it
  int failed = 0;           // attempts that failed; set aside after PickupOptions::attempts
  int expired = 0;          // recordings whose retention ran out
  int voicemail_mails = 0;  // new-voicemail mails queued
};

// The recordings job (docs/recordings.md): rtpengine moves a call's metadata file into
// <spool>/metadata/ when the call ends; each pass turns those calls' pcaps into MP3s in the
// recordings directory and stores them on their calls, and expires recordings whose
// partner's retention has passed. A call that went to voicemail gives a recording of kind
// voicemail (its message) and, when its source's settings ask for it, the new-voicemail mail
// with a signed link to that recording. Every file is handled on its own: one that fails is
// logged, counted and retried, then moved to <spool>/failed/; the others go on. Nodes sharing a
// spool pick up side by side: a node handles an entry under its claim (media/spool_claim), so
// the others leave it alone while it converts, and a stopped node's claim lapses; storing is
// idempotent by call all the same.
class RecordingPickup {
 public:
  // `on_expiry_failure` gets each recording whose expiry failed (it is tried again at the
  // next expiry pass; the others expire meanwhile): callsightd logs and counts it with the
  // other jobs' rows (app/job_rows). Without one, the failure is logged here.
  RecordingPickup(Store& store, const Clock& clock, RecordingDirectory& directory,
                  PickupOptions options, MetricsRegistry& metrics,
                  RowFailureHandler on_expiry_failure = {});
  ~RecordingPickup();  // stops and joins, if started
  RecordingPickup(const RecordingPickup&) = delete;
  RecordingPickup& operator=(const RecordingPickup&) = delete;

  void start();  // a thread runs a pass every interval
  PickupPass run_once();

 private:
  enum class Outcome { stored, discarded, waiting, elsewhere };
  // `claim` gets this node's claim on the entry once it handles it; the caller holds it until
  // it is done with the entry, failures included.
  Outcome pick_up(const std::filesystem::path& metadata, PickupPass& pass,
                  std::optional<SpoolClaim>& claim);
  bool queue_voicemail_mail(const Recording& recording);
  // Moves the metadata file and its pcap to <spool>/failed/.
  void set_aside(const std::filesystem::path& metadata);
  int expire_recordings();

  Store& store_;
  const Clock& clock_;
  RecordingDirectory& directory_;
  const PickupOptions options_;
  MetricFamily<Counter>& outcomes_;
  Counter& voicemail_mails_;
  std::map<std::string, int> failures_;  // metadata file name -> failed attempts so far
  std::optional<std::chrono::steady_clock::time_point> last_expiry_;
  // A recording whose expiry failed stays due: those of the last expiry pass are listed on
  // top of the next batch, so they cannot keep the recordings behind them from expiring.
  FailingRowsOnTop expiry_batch_;
  const RowFailureHandler on_expiry_failure_;
  PeriodicThread thread_;  // runs run_once(); the destructor stops it first
};

// The call id of an rtpengine metadata file name: "rtpengine-meta-<call-id, %-escaped>-<16
// hex digits>.txt"; nullopt when the name has not that shape.
std::optional<std::string> call_id_of_metadata(const std::string& file_name);
// The pcap a metadata file names on its first line.
std::optional<std::filesystem::path> pcap_of_metadata(const std::string& text);

}  // namespace callsight::media
