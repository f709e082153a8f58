#include "core/recording.hpp"

#include <gtest/gtest.h>

#include "core/time_format.hpp"

namespace callsight {
namespace {

const TimePoint kLinkNow = parse_utc("2026-12-06 10:00:00").value();
constexpr std::string_view kLinkSecret = "0123456789abcdef";
constexpr std::string_view kLinkRecording = "3f2b6c1e-8a4d-4c7b-9e21-5d6f7a8b9c0d";

std::int64_t unix_of(TimePoint t) { return t.time_since_epoch().count(); }

TEST(RecordingLink, ASignedLinkWorksUntilItExpires) {
  const auto expires = unix_of(kLinkNow) + 3600;
  const auto signature = recording_link_signature(kLinkSecret, kLinkRecording, expires);
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(recording_link_valid(kLinkSecret, kLinkRecording, expires, signature, kLinkNow));
  EXPECT_TRUE(recording_link_valid(kLinkSecret, kLinkRecording, expires, signature,
                                   kLinkNow + std::chrono::seconds(3599)));
  EXPECT_FALSE(recording_link_valid(kLinkSecret, kLinkRecording, expires, signature,
                                    kLinkNow + std::chrono::seconds(3600)));
}

TEST(RecordingLink, AnAlteredLinkIsRefused) {
  const auto expires = unix_of(kLinkNow) + 3600;
  auto signature = recording_link_signature(kLinkSecret, kLinkRecording, expires);
  // A later expiry under the old signature, another recording, another key, a changed digit.
  EXPECT_FALSE(
      recording_link_valid(kLinkSecret, kLinkRecording, expires + 86400, signature, kLinkNow));
  EXPECT_FALSE(recording_link_valid(kLinkSecret, "3f2b6c1e-8a4d-4c7b-9e21-5d6f7a8b9c0e", expires,
                                    signature, kLinkNow));
  EXPECT_FALSE(
      recording_link_valid("another secret", kLinkRecording, expires, signature, kLinkNow));
  signature[10] = signature[10] == '0' ? '1' : '0';
  EXPECT_FALSE(recording_link_valid(kLinkSecret, kLinkRecording, expires, signature, kLinkNow));
  EXPECT_FALSE(recording_link_valid(kLinkSecret, kLinkRecording, expires, "", kLinkNow));
}

TEST(RecordingRules, RetentionCountsWholeDaysFromTheRecording) {
  EXPECT_EQ(recording_expiry(kLinkNow, 90), kLinkNow + std::chrono::days(90));
  EXPECT_EQ(recording_expiry(kLinkNow, 1), kLinkNow + std::chrono::hours(24));
}

TEST(RecordingRules, OnlyConversationsAndMessagesAreKept) {
  CallRecord call;
  EXPECT_FALSE(keeps_recording(call));  // rang, nobody answered
  call.answered_at = kLinkNow;
  EXPECT_TRUE(keeps_recording(call));
  CallRecord voicemail;
  voicemail.voicemail_at = kLinkNow;
  EXPECT_TRUE(keeps_recording(voicemail));
  voicemail.ended_at = kLinkNow;  // the platform or the caller hung up: a message
  EXPECT_TRUE(keeps_recording(voicemail));
}

TEST(RecordingRules, AVoicemailLegThatFailedLeftNoMessage) {
  // The caller hung up during the greeting (the edge's 487), or the platform refused: it
  // never answered, whatever the caller's phone sent meanwhile.
  for (const auto action : {RouteAction::voicemail, RouteAction::forward}) {
    CallRecord call;
    call.action = action;
    if (action == RouteAction::forward) call.voicemail_at = kLinkNow;  // diverted on busy
    call.ended_at = kLinkNow;
    call.failure_sip_status = 487;
    EXPECT_FALSE(keeps_recording(call));
    call.failure_sip_status = 486;
    EXPECT_FALSE(keeps_recording(call));
    // The sweep closed it (its end never arrived): the message is kept.
    call.failure_sip_status.reset();
    call.end_unknown = true;
    EXPECT_TRUE(keeps_recording(call));
  }
}

TEST(RecordingRules, AVoicemailCallsMediaIsItsMessage) {
  CallRecord routed;  // the route sent every call to voicemail: no divert event, no answer
  routed.action = RouteAction::voicemail;
  EXPECT_EQ(recording_kind_of(routed), RecordingKind::voicemail);
  EXPECT_TRUE(keeps_recording(routed));
  CallRecord diverted;  // busy or no answer, then the voicemail platform
  diverted.action = RouteAction::forward;
  diverted.voicemail_at = kLinkNow;
  EXPECT_EQ(recording_kind_of(diverted), RecordingKind::voicemail);
  CallRecord answered;
  answered.action = RouteAction::forward;
  answered.answered_at = kLinkNow;
  EXPECT_EQ(recording_kind_of(answered), RecordingKind::call);
}

TEST(RecordingLink, TheLinkCarriesItsExpiryAndTheSignatureOverBoth) {
  const auto expires = unix_of(kLinkNow) + 7 * 86400;
  const auto link =
      recording_audio_link("https://api.example.com", kLinkSecret, kLinkRecording, expires);
  const auto signature = recording_link_signature(kLinkSecret, kLinkRecording, expires);
  EXPECT_EQ(link, "https://api.example.com/recordings/audio/" + std::string(kLinkRecording) +
                      "?expires=" + std::to_string(expires) + "&signature=" + signature);
  EXPECT_TRUE(recording_link_valid(kLinkSecret, kLinkRecording, expires, signature, kLinkNow));
  EXPECT_TRUE(recording_audio_link("", kLinkSecret, kLinkRecording, expires)
                  .starts_with("/recordings/audio/"));
}

TEST(RecordingRules, KindsHaveWireNames) {
  EXPECT_EQ(to_string(RecordingKind::voicemail), "voicemail");
  EXPECT_EQ(parse_recording_kind("call"), RecordingKind::call);
  EXPECT_FALSE(parse_recording_kind("Call"));
}

}  // namespace
}  // namespace callsight
