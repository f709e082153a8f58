#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/call_record.hpp"
#include "core/clock.hpp"
#include "core/types.hpp"

namespace callsight {

// What a recording holds: a conversation (the call was recorded) or a message left on
// voicemail.
enum class RecordingKind { call, voicemail };
std::string_view to_string(RecordingKind kind);
std::optional<RecordingKind> parse_recording_kind(std::string_view text);

// The audio of one call (docs/recordings.md): a stereo MP3, the caller on the left channel,
// the answering party on the right. Once expired (retention) its audio is gone and the row
// stays, as Freespee's `expired` flag says.
struct Recording {
  Id id = 0;
  std::string recording_id;  // wire "recording_id": a UUID, the only id partners see
  Id partner_id = 0;
  Id customer_id = 0;
  std::optional<Id> source_id;
  Id cdr_id = 0;
  RecordingKind kind = RecordingKind::call;
  std::string file_name;  // under the recordings directory; empty once expired
  std::int64_t bytes = 0;
  std::int64_t duration_ms = 0;
  std::string sha256;  // of the MP3, hex: the ETag its audio is served with
  TimePoint created;
  std::optional<TimePoint> expired_at;

  bool expired() const { return expired_at.has_value(); }
  bool operator==(const Recording&) const = default;
};

// Where recordings' audio files are kept: the media layer implements it on the recordings
// directory; the API and the jobs that release audio use it without touching files.
class RecordingAudio {
 public:
  virtual ~RecordingAudio() = default;
  // The file's bytes, or nullopt when it is not there.
  virtual std::optional<std::string> read(const std::string& file_name) = 0;
  // Deletes the file; one already gone is not an error.
  virtual void remove(const std::string& file_name) = 0;
};

// When a recording made at `created` expires under a retention of `retention_days`.
TimePoint recording_expiry(TimePoint created, int retention_days);

// Whether a finished call's media is worth keeping as a recording: only conversations that
// happened (the call was answered) and messages (the call went to voicemail and the
// platform answered) are kept; the ringing of a call nobody answered is not, nor the media
// of a voicemail call whose leg failed (the caller hung up during the greeting, the
// platform refused): the platform never answered, so there is no message, only what the
// caller's phone sent during the greeting.
bool keeps_recording(const CallRecord& call);

// What a finished call's media holds: a message when the call went to voicemail (routed
// there, or diverted on busy or no answer: the voicemail platform answers, the caller
// speaks), otherwise the conversation.
RecordingKind recording_kind_of(const CallRecord& call);

// A link to one recording's audio that works without a login until `expires` (Unix
// seconds): its signature is HMAC-SHA256 over both, keyed with a secret every node shares.
// An <audio> element cannot answer a Digest challenge, and an e-mailed voicemail link must
// work on a phone, so the link carries its own proof.
std::string recording_link_signature(std::string_view secret, std::string_view recording_id,
                                     std::int64_t expires);
// True when `signature` is the link's and `now` is before `expires`; compared in constant
// time.
bool recording_link_valid(std::string_view secret, std::string_view recording_id,
                          std::int64_t expires, std::string_view signature, TimePoint now);

// Where a recording's audio is served without a login (api/recordings.cpp answers it).
inline constexpr std::string_view kRecordingAudioPath = "/recordings/audio/";

// The signed link to one recording's audio, valid until `expires` (Unix seconds):
// `public_url` (the API's public address, e.g. https://api.example.com; empty gives a path)
// then kRecordingAudioPath, the recording id, `expires` and the signature. One definition
// for the API's audio_url and the voicemail mail's link.
std::string recording_audio_link(std::string_view public_url, std::string_view secret,
                                 std::string_view recording_id, std::int64_t expires);

}  // namespace callsight
