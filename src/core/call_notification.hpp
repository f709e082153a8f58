#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/call_record.hpp"
#include "core/source_settings.hpp"

namespace callsight {

// The e-mails a call may cause (docs/notifications.md). At most one of each kind per call:
// the mail outbox keeps one row per call and kind.
enum class NotificationKind { missed_call, voicemail };
std::string_view to_string(NotificationKind kind);
std::optional<NotificationKind> parse_notification_kind(std::string_view text);

// An inbound call that ended without anyone answering it on the customer's side: no_answer
// (nobody picked up, or the caller gave up while it rang), busy, failed. Not missed: an
// answered call; a voicemail call (it has its own mail, when the message lands); a rejected
// call (the platform refused it by the customer's own rules: a number not in use or a
// blacklisted caller, so nobody's phone rang); a call whose end is unknown (the sweep closed
// it without knowing; if its real end arrives later and it was missed, it is missed then);
// a call still in progress; an outbound call (a callback).
bool is_missed_call(const CallRecord& record);

// What a notification needs beside the call: read from the store in the transaction that
// ends the call.
struct NotificationContext {
  std::string source_name;
  EffectiveSourceSettings settings;  // the source's own, else its campaign's
  std::string time_zone;             // the partner's IANA zone; unknown or empty: UTC
};

// One e-mail to send, before it has a sender, a date and a Message-ID (render_mail).
struct Notification {
  NotificationKind kind = NotificationKind::missed_call;
  std::string recipient;  // is_mail_address
  std::string subject;
  std::string body;
};

// The address notifications go to: the effective e-mail when it is one SMTP can carry
// (is_mail_address), surrounding spaces ignored; nullopt otherwise (no mail).
std::optional<std::string> notification_recipient(const EffectiveSourceSettings& settings);

// The missed-call e-mail, or nullopt: not a missed call, notify_on_missed_call off, or no
// usable address. The body shows the caller's full number: the mail goes to the customer's
// own address, set for this purpose, and the point of it is calling the caller back (the
// partner API masks callers because partners and their tools see every customer's calls).
std::optional<Notification> missed_call_notification(const CallRecord& record,
                                                     const NotificationContext& context);

// The new-voicemail e-mail, or nullopt: notify_on_new_voicemail off or no usable address.
// `message_link` is the URL where the message can be heard without logging in (signed,
// expiring, for this one recording), made by whoever stores the recording.
std::optional<Notification> voicemail_notification(const CallRecord& record,
                                                   const NotificationContext& context,
                                                   std::string_view message_link);

}  // namespace callsight
