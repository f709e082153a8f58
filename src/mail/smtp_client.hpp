#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace callsight::mail {

// How the connection to the relay is secured (--smtp-tls): STARTTLS on a plain connection
// (submission, port 587), TLS from the first byte (submissions, port 465), or none.
enum class SmtpTls { starttls, tls, off };
std::string_view to_string(SmtpTls tls);
std::optional<SmtpTls> parse_smtp_tls(std::string_view text);

struct SmtpOptions {
  std::string host;
  std::uint16_t port = 587;
  SmtpTls tls = SmtpTls::starttls;
  // The relay's certificate must chain to the system's CAs or those in ca_file and name
  // `host`; verify_peer false skips both (tests with a throw-away certificate only).
  bool verify_peer = true;
  std::string ca_file;
  std::string user;  // empty: no AUTH
  std::string password;
  // AUTH only over TLS, unless this says the plain connection may carry the password.
  bool allow_auth_without_tls = false;
  std::string helo_name = "localhost";             // the name EHLO gives
  std::chrono::milliseconds step_timeout{10000};   // each connect, handshake, command, reply
  std::chrono::milliseconds total_timeout{60000};  // the whole session, QUIT included
};

// Why a mail did not go. The reason names the step and the relay's reply code ("SMTP 451
// at RCPT", "timeout at DATA", "connect: Connection refused") and never quotes what the relay
// said, which may repeat an address. `permanent`: the relay refused this mail for good (a 5xx
// reply to MAIL, RCPT or the message), so sending it again cannot help; anything else
// (connection, TLS, a 4xx, a refused login, which the operator can fix) may go on a retry.
class SmtpError : public std::runtime_error {
 public:
  SmtpError(const std::string& reason, bool permanent)
      : std::runtime_error(reason), permanent_(permanent) {}
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

// Sends one message on a fresh connection: EHLO, STARTTLS (and EHLO again), AUTH PLAIN or
// LOGIN, MAIL FROM, RCPT TO, DATA with the message dot-stuffed, QUIT. `message` is the whole
// RFC 5322 text with CRLF line ends (core/render_mail). Throws SmtpError; returns when the
// relay accepted the message (250 after the data). Asio and OpenSSL stay inside
// smtp_client.cpp.
void send_mail(const SmtpOptions& options, const std::string& from, const std::string& to,
               const std::string& message);

// The message as DATA carries it: every line starting with '.' gets one more, line ends
// CRLF, ending with the lone "." line.
std::string dot_stuffed(std::string_view message);

}  // namespace callsight::mail
