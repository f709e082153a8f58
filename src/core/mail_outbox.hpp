#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/call_notification.hpp"
#include "core/clock.hpp"
#include "core/retry_backoff.hpp"
#include "core/types.hpp"

namespace callsight {

// pending: to be sent or retried; sent: the relay accepted it; dead: given up on (too old,
// refused for good by the relay, or its caller erased).
enum class MailState { pending, sent, dead };
std::string_view to_string(MailState state);
std::optional<MailState> parse_mail_state(std::string_view text);

// One e-mail in the durable mail outbox, written in the transaction of the call event that
// causes it (docs/notifications.md). The body goes once the mail is sent or dead: the
// recipient's mailbox has it, and the database need not keep a second copy of the caller.
struct OutboxMail {
  Id id = 0;
  Id partner_id = 0;
  std::optional<Id> cdr_id;
  NotificationKind kind = NotificationKind::missed_call;
  std::string recipient;
  std::string subject;
  std::string body;
  // Random, made with the row: the Message-ID's left side, the same on every attempt, so a
  // relay or reader that got a mail twice (an answer lost after the relay took it) sees one.
  std::string message_token;
  MailState state = MailState::pending;
  int attempts = 0;
  TimePoint next_attempt;
  std::string last_error;  // a reason ("timeout", "SMTP 451 at RCPT"), never an address
  std::optional<TimePoint> sent_at;
  TimePoint created;
};

// Missed-call mails are worth a retry while they are fresh: 30 s, doubling to 15 min, for a
// day after the call ended (the dispatcher's first delay can be changed for tests).
inline constexpr RetryBackoff kMailBackoff{std::chrono::seconds(30), std::chrono::minutes(15),
                                           std::chrono::hours(24)};

}  // namespace callsight
