#include "app/mail_flags.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "app/listen_address.hpp"
#include "core/mail_message.hpp"

namespace callsight::app {
namespace {

std::string read_password_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("--smtp-password-file cannot be read");
  std::string password;
  std::getline(in, password);  // the first line, without its line end
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

}  // namespace

void add_mail_flags(CLI::App& cli, MailFlags& flags) {
  const char* env_relay = std::getenv("CALLSIGHT_SMTP_RELAY");
  if (env_relay) flags.relay = env_relay;
  cli.add_option("--smtp-relay", flags.relay,
                 "SMTP relay HOST:PORT that notification e-mails go through (env "
                 "CALLSIGHT_SMTP_RELAY); none: e-mails wait in the outbox, unsent "
                 "(docs/notifications.md)");
  cli.add_option("--smtp-tls", flags.tls,
                 "starttls (upgrade a plain connection, port 587), tls (TLS from the first "
                 "byte, port 465) or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"starttls", "tls", "off"}));
  cli.add_option("--smtp-user", flags.user,
                 "user to log in to the relay with (AUTH PLAIN or LOGIN, only over TLS); the "
                 "password comes from env CALLSIGHT_SMTP_PASSWORD or --smtp-password-file");
  cli.add_option("--smtp-password-file", flags.password_file,
                 "file whose first line is the relay password")
      ->check(CLI::ExistingFile);
  cli.add_option("--smtp-ca-file", flags.ca_file,
                 "PEM file of CA certificates the relay's certificate may chain to, besides "
                 "the system's")
      ->check(CLI::ExistingFile);
  cli.add_flag("--smtp-tls-no-verify", flags.no_verify,
               "accept any certificate from the relay (tests only: anyone on the path can read "
               "the mails and the password)");
  cli.add_flag("--smtp-allow-auth-without-tls", flags.allow_auth_without_tls,
               "send the password to a relay over a connection without TLS (a relay on this "
               "host only)");
  cli.add_option("--mail-from", flags.from,
                 "sender address of notification e-mails (envelope and From header)");
  cli.add_option("--smtp-timeout-ms", flags.step_timeout_ms,
                 "time the relay has for each step: connect, TLS, each command's reply")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  cli.add_option("--smtp-session-timeout-ms", flags.session_timeout_ms,
                 "time one whole SMTP session may take; a claimed mail is held this long")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  cli.add_option("--mail-retry-base-seconds", flags.retry_base_seconds,
                 "delay before a failed e-mail's first retry; it doubles per attempt up to 15 "
                 "minutes, for a day")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
}

std::optional<mail::MailDispatcherOptions> mail_dispatcher_options(const MailFlags& flags) {
  if (flags.relay.empty()) return std::nullopt;
  mail::MailDispatcherOptions options;
  ListenAddress relay;
  try {
    relay = parse_listen_address(flags.relay);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("--smtp-relay must be HOST:PORT");
  }
  if (relay.host.empty() || relay.port == 0) {
    throw std::invalid_argument("--smtp-relay must be HOST:PORT");
  }
  options.smtp.host = relay.host;
  options.smtp.port = relay.port;
  options.smtp.tls = mail::parse_smtp_tls(flags.tls).value();
  options.smtp.verify_peer = !flags.no_verify;
  options.smtp.ca_file = flags.ca_file;
  options.smtp.allow_auth_without_tls = flags.allow_auth_without_tls;
  options.smtp.step_timeout = std::chrono::milliseconds(flags.step_timeout_ms);
  options.smtp.total_timeout = std::chrono::milliseconds(flags.session_timeout_ms);
  if (!is_mail_address(flags.from)) {
    throw std::invalid_argument("--mail-from must be an e-mail address when --smtp-relay is set");
  }
  options.from = flags.from;
  options.smtp.helo_name = std::string(mail_domain(flags.from));
  options.smtp.user = flags.user;
  if (!flags.user.empty()) {
    if (!flags.password_file.empty()) {
      options.smtp.password = read_password_file(flags.password_file);
    } else if (const char* env = std::getenv("CALLSIGHT_SMTP_PASSWORD")) {
      options.smtp.password = env;
    }
    if (options.smtp.password.empty()) {
      throw std::invalid_argument(
          "--smtp-user needs a password: CALLSIGHT_SMTP_PASSWORD or --smtp-password-file");
    }
    if (options.smtp.tls == mail::SmtpTls::off && !flags.allow_auth_without_tls) {
      throw std::invalid_argument(
          "--smtp-user with --smtp-tls off sends the password in clear: add "
          "--smtp-allow-auth-without-tls for a relay on this host");
    }
  }
  options.first_retry_delay = std::chrono::seconds(flags.retry_base_seconds);
  return options;
}

std::string describe_mail(const std::optional<mail::MailDispatcherOptions>& options) {
  if (!options) {
    return "mail: no --smtp-relay: notification e-mails wait in the outbox, unsent by this node";
  }
  const auto& smtp = options->smtp;
  std::ostringstream out;
  out << "mail: notification e-mails go through " << smtp.host << ":" << smtp.port << " ("
      << mail::to_string(smtp.tls);
  if (smtp.tls != mail::SmtpTls::off) {
    out << (smtp.verify_peer ? ", certificate checked" : ", certificate NOT checked");
    if (!smtp.ca_file.empty()) out << " against the system's CAs and " << smtp.ca_file;
  }
  out << (smtp.user.empty() ? ", no login" : ", login as " + smtp.user) << ") from "
      << options->from;
  return out.str();
}

}  // namespace callsight::app
