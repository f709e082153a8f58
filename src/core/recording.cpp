#include "core/recording.hpp"

#include <array>
#include <utility>

#include "common/crypto.hpp"
#include "core/enum_names.hpp"

namespace callsight {
namespace {

constexpr std::array kKindNames{std::pair{RecordingKind::call, std::string_view("call")},
                                std::pair{RecordingKind::voicemail, std::string_view("voicemail")}};

std::string link_message(std::string_view recording_id, std::int64_t expires) {
  std::string message(recording_id);
  message += '\n';
  message += std::to_string(expires);
  return message;
}

}  // namespace

std::string_view to_string(RecordingKind kind) { return name_of(kKindNames, kind); }

std::optional<RecordingKind> parse_recording_kind(std::string_view text) {
  return value_of(kKindNames, text);
}

TimePoint recording_expiry(TimePoint created, int retention_days) {
  return created + std::chrono::days(retention_days);
}

bool keeps_recording(const CallRecord& call) {
  if (call.answered_at) return true;
  // A voicemail leg ends with the platform's BYE or the caller's after the platform answered
  // (no failure status), or with a failure before any answer (a 487 after the caller's
  // CANCEL, the platform's 486).
  return recording_kind_of(call) == RecordingKind::voicemail && !call.failure_sip_status;
}

RecordingKind recording_kind_of(const CallRecord& call) {
  const bool voicemail = call.action == RouteAction::voicemail || call.voicemail_at.has_value();
  return voicemail ? RecordingKind::voicemail : RecordingKind::call;
}

std::string recording_link_signature(std::string_view secret, std::string_view recording_id,
                                     std::int64_t expires) {
  return crypto::hmac_sha256_hex(secret, link_message(recording_id, expires));
}

bool recording_link_valid(std::string_view secret, std::string_view recording_id,
                          std::int64_t expires, std::string_view signature, TimePoint now) {
  const auto expected = recording_link_signature(secret, recording_id, expires);
  const bool signed_right = crypto::constant_time_equals(expected, signature);
  return signed_right && now.time_since_epoch() < std::chrono::seconds(expires);
}

std::string recording_audio_link(std::string_view public_url, std::string_view secret,
                                 std::string_view recording_id, std::int64_t expires) {
  std::string link(public_url);
  link += kRecordingAudioPath;
  link += recording_id;
  link += "?expires=" + std::to_string(expires);
  link += "&signature=" + recording_link_signature(secret, recording_id, expires);
  return link;
}

}  // namespace callsight
