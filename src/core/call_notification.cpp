#include "core/call_notification.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "common/utf8.hpp"
#include "core/enum_names.hpp"
#include "core/local_time.hpp"
#include "core/mail_message.hpp"
#include "core/mail_outbox.hpp"
#include "core/time_format.hpp"

namespace callsight {
namespace {

constexpr EnumNames<NotificationKind, 2> kKindNames = {{
    std::pair{NotificationKind::missed_call, std::string_view("missed_call")},
    std::pair{NotificationKind::voicemail, std::string_view("voicemail")},
}};

constexpr EnumNames<MailState, 3> kMailStateNames = {{
    std::pair{MailState::pending, std::string_view("pending")},
    std::pair{MailState::sent, std::string_view("sent")},
    std::pair{MailState::dead, std::string_view("dead")},
}};

// A stored source name shown in a subject: one line, at most this many characters.
constexpr std::size_t kSubjectNameLength = 60;

// Control characters and invalid bytes out, so a stored name never breaks a line of its own.
std::string clean_name(std::string_view name, std::size_t max_length) {
  std::string out = utf8::sanitize(name);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (utf8::code_points(out) > max_length) {
    out = std::string(utf8::first_code_points(out, max_length - 1)) + "\u2026";
  }
  return out;
}

// "2026-12-06 07:19:10 CET" in the partner's zone, or UTC when it has none we know.
std::string call_time(TimePoint t, std::string_view time_zone) {
  if (is_known_time_zone(time_zone)) return format_local(t, time_zone);
  return format_utc(t) + " UTC";
}

std::string status_text(const CallRecord& record) {
  switch (call_status(record)) {
    case CallStatus::no_answer:
      return "not answered";
    case CallStatus::busy:
      return "busy";
    case CallStatus::failed:
      return record.failure_sip_status
                 ? "failed (SIP " + std::to_string(*record.failure_sip_status) + ")"
                 : "failed";
    case CallStatus::voicemail:
      return "voicemail";
    default:
      return std::string(to_string(call_status(record)));
  }
}

std::string or_unknown(const std::string& text) { return text.empty() ? "unknown" : text; }

// The lines every notification shows, "Name: value".
std::string call_details(const CallRecord& record, const NotificationContext& context) {
  const std::string source = clean_name(context.source_name, 200);
  std::string out;
  out += "Caller:          " + or_unknown(clean_name(record.caller, 64)) + "\n";
  out += "Tracking number: " + record.tracking_number + "\n";
  out += "Source:          " + or_unknown(source) + "\n";
  if (!record.answering_number.empty()) {
    out += "Forwarded to:    " + record.answering_number + "\n";
  }
  out += "Time:            " + call_time(record.start, context.time_zone) + "\n";
  out += "Status:          " + status_text(record) + "\n";
  const auto end = record.ended_at.value_or(record.start);
  const auto waited = std::max<long long>(0, (end - record.start).count());
  out += "Duration:        " + std::to_string(call_duration_seconds(record)) + " s talk, " +
         std::to_string(waited) + " s in all\n";
  out += "Call id:         " + std::to_string(record.id) + "\n";
  return out;
}

constexpr std::string_view kFooter =
    "\n-- \nSent by Callsight because notifications are on for this tracking number.\n";

}  // namespace

std::string_view to_string(NotificationKind kind) { return name_of(kKindNames, kind); }

std::optional<NotificationKind> parse_notification_kind(std::string_view text) {
  return value_of(kKindNames, text);
}

std::string_view to_string(MailState state) { return name_of(kMailStateNames, state); }

std::optional<MailState> parse_mail_state(std::string_view text) {
  return value_of(kMailStateNames, text);
}

bool is_missed_call(const CallRecord& record) {
  if (record.direction != CallDirection::inbound || !record.ended_at) return false;
  const auto status = call_status(record);
  return status == CallStatus::no_answer || status == CallStatus::busy ||
         status == CallStatus::failed;
}

std::optional<std::string> notification_recipient(const EffectiveSourceSettings& settings) {
  if (!settings.email) return std::nullopt;
  std::string_view address = *settings.email;
  while (!address.empty() && address.front() == ' ') address.remove_prefix(1);
  while (!address.empty() && address.back() == ' ') address.remove_suffix(1);
  if (!is_mail_address(address)) return std::nullopt;
  return std::string(address);
}

std::optional<Notification> missed_call_notification(const CallRecord& record,
                                                     const NotificationContext& context) {
  if (!is_missed_call(record) || context.settings.notify_on_missed_call != 1) return std::nullopt;
  auto recipient = notification_recipient(context.settings);
  if (!recipient) return std::nullopt;
  const std::string name = clean_name(context.source_name, kSubjectNameLength);
  Notification mail{.kind = NotificationKind::missed_call, .recipient = std::move(*recipient)};
  mail.subject = "Missed call to " + (name.empty() ? record.tracking_number : name) + " (" +
                 record.tracking_number + ")";
  mail.body = "A call to your tracking number was not answered.\n\n" +
              call_details(record, context) + std::string(kFooter);
  return mail;
}

std::optional<Notification> voicemail_notification(const CallRecord& record,
                                                   const NotificationContext& context,
                                                   std::string_view message_link) {
  if (context.settings.notify_on_new_voicemail != 1) return std::nullopt;
  auto recipient = notification_recipient(context.settings);
  if (!recipient) return std::nullopt;
  const std::string name = clean_name(context.source_name, kSubjectNameLength);
  Notification mail{.kind = NotificationKind::voicemail, .recipient = std::move(*recipient)};
  mail.subject = "New voicemail for " + (name.empty() ? record.tracking_number : name) + " (" +
                 record.tracking_number + ")";
  // The link on a line of its own, so mail readers make it clickable whole.
  mail.body = "A caller left a voicemail message.\n\nListen to it here (the link expires):\n" +
              clean_name(message_link, 2000) + "\n\n" + call_details(record, context) +
              std::string(kFooter);
  return mail;
}

}  // namespace callsight
