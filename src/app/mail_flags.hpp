#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "mail/mail_dispatcher.hpp"

namespace callsight::app {

// callsightd's e-mail settings (docs/notifications.md), as the command line gives them.
struct MailFlags {
  std::string relay;  // HOST:PORT; empty: no relay, no mail sent by this node
  std::string tls = "starttls";
  std::string user;
  std::string password_file;  // else env CALLSIGHT_SMTP_PASSWORD: never on the command line
  std::string ca_file;
  bool no_verify = false;
  bool allow_auth_without_tls = false;
  std::string from;
  int step_timeout_ms = 10000;
  int session_timeout_ms = 60000;
  int retry_base_seconds = static_cast<int>(kMailBackoff.first_delay.count());
};

void add_mail_flags(CLI::App& cli, MailFlags& flags);

// The dispatcher's options, or nullopt when no relay is set. Reads the password (from
// --smtp-password-file or CALLSIGHT_SMTP_PASSWORD). Throws std::invalid_argument naming the
// flag when the settings do not go together (a relay without --mail-from, a user without a
// password, ...).
std::optional<mail::MailDispatcherOptions> mail_dispatcher_options(const MailFlags& flags);

// The startup log line: the relay and how it is reached, never the password.
std::string describe_mail(const std::optional<mail::MailDispatcherOptions>& options);

}  // namespace callsight::app
