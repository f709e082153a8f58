#include "core/call_notification.hpp"

#include <gtest/gtest.h>

#include "core/mail_message.hpp"
#include "core/mail_outbox.hpp"
#include "core/time_format.hpp"

namespace callsight {
namespace {

TimePoint when(const char* text) { return parse_utc(text).value(); }

CallRecord ended_call(std::optional<int> failure) {
  CallRecord r;
  r.id = 42;
  r.partner_id = 1;
  r.customer_id = 2;
  r.source_id = 3;
  r.switch_call_id = "sip-1";
  r.caller = "+46701234567";
  r.tracking_number = "+46812345678";
  r.answering_number = "+46890510";
  r.start = when("2026-07-01 10:00:00");
  r.ended_at = r.start + std::chrono::seconds(25);
  r.failure_sip_status = failure;
  return r;
}

NotificationContext context_for(std::string name = "Spring ads") {
  NotificationContext c;
  c.source_name = std::move(name);
  c.settings.notify_on_missed_call = 1;
  c.settings.notify_on_new_voicemail = 1;
  c.settings.email = "sales@example.com";
  c.time_zone = "Europe/Stockholm";
  return c;
}

TEST(CallNotification, MissedMeansEndedUnansweredOnTheCustomersSide) {
  EXPECT_TRUE(is_missed_call(ended_call(std::nullopt)));  // no answer
  EXPECT_TRUE(is_missed_call(ended_call(487)));           // the caller gave up while it rang
  EXPECT_TRUE(is_missed_call(ended_call(486)));           // busy
  EXPECT_TRUE(is_missed_call(ended_call(503)));           // failed

  auto answered = ended_call(std::nullopt);
  answered.answered_at = answered.start + std::chrono::seconds(5);
  EXPECT_FALSE(is_missed_call(answered));
  auto diverted = ended_call(486);
  diverted.voicemail_on_busy = true;  // busy went to voicemail: its own mail
  EXPECT_FALSE(is_missed_call(diverted));
  auto voicemail = ended_call(std::nullopt);
  voicemail.voicemail_at = voicemail.start;
  EXPECT_FALSE(is_missed_call(voicemail));
  auto rejected = ended_call(403);
  rejected.action = RouteAction::reject;  // blacklisted: the customer's own refusal
  EXPECT_FALSE(is_missed_call(rejected));
  auto unknown = ended_call(std::nullopt);
  unknown.end_unknown = true;
  EXPECT_FALSE(is_missed_call(unknown));
  auto open = ended_call(std::nullopt);
  open.ended_at.reset();
  EXPECT_FALSE(is_missed_call(open));
  auto callback = ended_call(std::nullopt);
  callback.direction = CallDirection::outbound;
  EXPECT_FALSE(is_missed_call(callback));
}

TEST(CallNotification, TheMissedCallMailShowsTheCallInThePartnersZone) {
  const auto mail = missed_call_notification(ended_call(486), context_for());
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->kind, NotificationKind::missed_call);
  EXPECT_EQ(mail->recipient, "sales@example.com");
  EXPECT_EQ(mail->subject, "Missed call to Spring ads (+46812345678)");
  EXPECT_NE(mail->body.find("Caller:          +46701234567\n"), std::string::npos);
  EXPECT_NE(mail->body.find("Tracking number: +46812345678\n"), std::string::npos);
  EXPECT_NE(mail->body.find("Time:            2026-07-01 12:00:00 CEST\n"), std::string::npos);
  EXPECT_NE(mail->body.find("Status:          busy\n"), std::string::npos);
  EXPECT_NE(mail->body.find("0 s talk, 25 s in all"), std::string::npos);
}

TEST(CallNotification, WithoutAKnownZoneTheTimeIsUtc) {
  auto context = context_for();
  context.time_zone = "Nowhere/Special";
  const auto mail = missed_call_notification(ended_call(503), context);
  ASSERT_TRUE(mail);
  EXPECT_NE(mail->body.find("Time:            2026-07-01 10:00:00 UTC\n"), std::string::npos);
  EXPECT_NE(mail->body.find("failed (SIP 503)"), std::string::npos);
}

TEST(CallNotification, NoMailWithoutTheFlagOrAUsableAddress) {
  auto context = context_for();
  context.settings.notify_on_missed_call = 0;
  EXPECT_FALSE(missed_call_notification(ended_call(486), context));
  context = context_for();
  context.settings.email.reset();
  EXPECT_FALSE(missed_call_notification(ended_call(486), context));
  context.settings.email = "a@example.com, b@example.com";
  EXPECT_FALSE(missed_call_notification(ended_call(486), context));
  context.settings.email = "  sales@example.com ";
  EXPECT_EQ(missed_call_notification(ended_call(486), context)->recipient, "sales@example.com");
}

TEST(CallNotification, AStoredNameWithLineBreaksStaysOnOneLine) {
  const auto mail =
      missed_call_notification(ended_call(486), context_for("Ads\r\nBcc: x@evil.example"));
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->subject.find_first_of("\r\n"), std::string::npos);
  EXPECT_NE(mail->body.find("Source:          Ads  Bcc: x@evil.example\n"), std::string::npos);
  const auto rendered = render_mail({.from = "cs@example.com",
                                     .to = mail->recipient,
                                     .subject = mail->subject,
                                     .body = mail->body,
                                     .message_id = "t@example.com",
                                     .date = when("2026-07-01 10:00:00")});
  EXPECT_EQ(rendered.find("\r\nBcc:"), std::string::npos);
}

TEST(CallNotification, ANonAsciiNameIsKeptAndALongOneShortened) {
  const auto mail = missed_call_notification(ended_call(486), context_for("Vårkampanj Göteborg"));
  EXPECT_EQ(mail->subject, "Missed call to Vårkampanj Göteborg (+46812345678)");
  const auto long_one =
      missed_call_notification(ended_call(486), context_for(std::string(300, 'n')));
  EXPECT_LT(long_one->subject.size(), 100u);
}

TEST(CallNotification, TheVoicemailMailCarriesItsLink) {
  auto record = ended_call(std::nullopt);
  record.voicemail_at = record.start + std::chrono::seconds(20);
  const auto mail =
      voicemail_notification(record, context_for(), "https://cs.example/v/9?exp=1&sig=ab");
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->kind, NotificationKind::voicemail);
  EXPECT_EQ(mail->subject, "New voicemail for Spring ads (+46812345678)");
  EXPECT_NE(mail->body.find("\nhttps://cs.example/v/9?exp=1&sig=ab\n"), std::string::npos);
  EXPECT_NE(mail->body.find("Status:          voicemail\n"), std::string::npos);
  auto off = context_for();
  off.settings.notify_on_new_voicemail = 0;
  EXPECT_FALSE(voicemail_notification(record, off, "https://cs.example/v/9"));
}

TEST(CallNotification, KindNamesRoundTrip) {
  for (const auto kind : {NotificationKind::missed_call, NotificationKind::voicemail}) {
    EXPECT_EQ(parse_notification_kind(to_string(kind)), kind);
  }
  EXPECT_FALSE(parse_notification_kind("sms"));
}

TEST(CallNotification, MailsAreRetriedWithBackoffForADay) {
  const auto made = when("2026-07-01 10:00:00");
  EXPECT_EQ(next_retry(kMailBackoff, made, 1, made), made + std::chrono::seconds(30));
  EXPECT_EQ(next_retry(kMailBackoff, made, 2, made), made + std::chrono::seconds(60));
  EXPECT_EQ(next_retry(kMailBackoff, made, 20, made), made + std::chrono::minutes(15));
  const auto late = made + std::chrono::hours(24) - std::chrono::minutes(10);
  EXPECT_FALSE(next_retry(kMailBackoff, made, 20, late));
}

}  // namespace
}  // namespace callsight
