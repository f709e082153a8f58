#include "mail/smtp_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <utility>
#include <vector>

#include "common/base64.hpp"
#include "common/crypto.hpp"
#include "common/text.hpp"

namespace callsight::mail {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using boost::system::error_code;

// One reply line longer than this, or a reply of more lines, is not a relay we can talk to.
constexpr std::size_t kMaxReplyBytes = 64 * 1024;
constexpr std::size_t kMaxReplyLines = 200;

constexpr std::array<std::pair<SmtpTls, std::string_view>, 3> kTlsNames = {{
    {SmtpTls::starttls, "starttls"},
    {SmtpTls::tls, "tls"},
    {SmtpTls::off, "off"},
}};

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the text after each line's code
};

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One SMTP conversation with the relay: every step is started asynchronously and the
// io_context runs until it ends or its deadline (the step's timeout, capped by the session's),
// when the socket is closed and the step fails as a timeout.
class Session {
 public:
  explicit Session(const SmtpOptions& options)
      : options_(options),
        tls_context_(asio::ssl::context::tls_client),
        socket_(io_),
        session_end_(SteadyClock::now() + options.total_timeout) {
    if (options_.verify_peer) {
      tls_context_.set_default_verify_paths();
      if (!options_.ca_file.empty()) tls_context_.load_verify_file(options_.ca_file);
      tls_context_.set_verify_mode(asio::ssl::verify_peer);
    } else {
      tls_context_.set_verify_mode(asio::ssl::verify_none);
    }
  }

  ~Session() {
    error_code ignored;
    socket_.close(ignored);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void send(const std::string& from, const std::string& to, const std::string& message) {
    connect();
    if (options_.tls == SmtpTls::tls) handshake();
    step_ = "greeting";
    expect(read_reply(), 220, false);
    ehlo();
    if (options_.tls == SmtpTls::starttls) {
      if (!offers("STARTTLS")) fail("relay offers no STARTTLS");
      expect(command("STARTTLS", "STARTTLS"), 220, false);
      // Anything the relay sent past its 220 came before TLS and could be an attacker's.
      if (!buffer_.empty()) fail("data after the STARTTLS reply");
      handshake();
      ehlo();  // RFC 3207: what the relay offered before TLS no longer counts
    }
    if (!options_.user.empty()) authenticate();
    expect(command("MAIL FROM:<" + from + ">", "MAIL"), 250, true);
    const Reply rcpt = command("RCPT TO:<" + to + ">", "RCPT");
    if (rcpt.code != 251) expect(rcpt, 250, true);
    expect(command("DATA", "DATA"), 354, true);
    step_ = "message";
    write(dot_stuffed(message));
    expect(read_reply(), 250, true);
    // The relay has the message; a QUIT that fails changes nothing.
    try {
      command("QUIT", "QUIT");
    } catch (const SmtpError&) {
    }
  }

 private:
  [[noreturn]] void fail(const std::string& reason, bool permanent = false) {
    throw SmtpError(reason, permanent);
  }

  // The reply must have code `want`; a 5xx reply to a step that refuses this mail for good
  // (`may_be_permanent`) is permanent.
  void expect(const Reply& reply, int want, bool may_be_permanent) {
    if (reply.code == want) return;
    fail("SMTP " + std::to_string(reply.code) + " at " + step_,
         may_be_permanent && reply.code >= 500);
  }

  template <class Start>
  void run(Start&& start) {
    bool finished = false;
    error_code result;
    start([&](error_code ec) {
      result = ec;
      finished = true;
    });
    const auto deadline = std::min(SteadyClock::now() + options_.step_timeout, session_end_);
    io_.restart();
    io_.run_until(deadline);
    if (!finished) {
      error_code ignored;
      socket_.close(ignored);
      io_.restart();
      io_.run();  // the aborted operation's handler runs, and nothing is left pending
      fail("timeout at " + step_);
    }
    if (result) fail(step_ + ": " + result.message());
  }

  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  void connect() {
    step_ = "connect";
    error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec) fail("resolve: " + ec.message());
    run([&](auto done) {
      asio::async_connect(socket_, endpoints,
                          [done](error_code e, const tcp::endpoint&) { done(e); });
    });
  }

  void handshake() {
    step_ = "TLS handshake";
    tls_.emplace(socket_, tls_context_);
    SSL* ssl = tls_->native_handle();
    if (!is_ip_address(options_.host) &&
        SSL_set_tlsext_host_name(ssl, options_.host.c_str()) != 1) {
      fail("cannot set the TLS server name");
    }
    if (options_.verify_peer) {
      // The certificate must name the relay we meant, not just chain to a trusted CA.
      const bool named =
          is_ip_address(options_.host)
              ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), options_.host.c_str()) == 1
              : SSL_set1_host(ssl, options_.host.c_str()) == 1;
      if (!named) fail("cannot check the TLS name");
    }
    run([&](auto done) {
      tls_->async_handshake(asio::ssl::stream_base::client, [done](error_code e) { done(e); });
    });
  }

  void write(const std::string& data) {
    run([&](auto done) {
      with_stream([&](auto& stream) {
        asio::async_write(stream, asio::buffer(data),
                          [done](error_code e, std::size_t) { done(e); });
      });
    });
  }

  Reply read_reply() {
    Reply reply;
    while (true) {
      std::size_t length = 0;
      run([&](auto done) {
        with_stream([&](auto& stream) {
          asio::async_read_until(stream, asio::dynamic_buffer(buffer_, kMaxReplyBytes), "\r\n",
                                 [done, &length](error_code e, std::size_t n) {
                                   length = n;
                                   done(e);
                                 });
        });
      });
      const std::string line = buffer_.substr(0, length - 2);
      buffer_.erase(0, length);
      const bool coded =
          line.size() >= 3 &&
          std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; });
      if (!coded || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
        fail("malformed reply at " + step_);
      }
      const int code = std::stoi(line.substr(0, 3));
      if (reply.code != 0 && code != reply.code) fail("malformed reply at " + step_);
      reply.code = code;
      reply.lines.push_back(line.size() > 4 ? line.substr(4) : "");
      if (line.size() == 3 || line[3] == ' ') return reply;
      if (reply.lines.size() > kMaxReplyLines) fail("reply too long at " + step_);
    }
  }

  Reply command(const std::string& text, const char* step) {
    step_ = step;
    write(text + "\r\n");
    return read_reply();
  }

  void ehlo() {
    const Reply reply = command("EHLO " + options_.helo_name, "EHLO");
    expect(reply, 250, false);
    extensions_.clear();
    // The first line greets; each other names an extension and its parameters.
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
      extensions_.push_back(ascii_upper(reply.lines[i]));
    }
  }

  // The extension's parameters ("PLAIN LOGIN" for AUTH), or nullopt when not offered.
  std::optional<std::string> extension(std::string_view name) const {
    for (const auto& line : extensions_) {
      if (line == name) return std::string();
      if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
          line[name.size()] == ' ') {
        return line.substr(name.size() + 1);
      }
    }
    return std::nullopt;
  }

  bool offers(std::string_view name) const { return extension(name).has_value(); }

  bool offers_mechanism(std::string_view mechanism) const {
    const auto mechanisms = extension("AUTH");
    if (!mechanisms) return false;
    const std::string padded = " " + *mechanisms + " ";
    return padded.find(" " + std::string(mechanism) + " ") != std::string::npos;
  }

  void authenticate() {
    step_ = "AUTH";
    if (!tls_ && !options_.allow_auth_without_tls) fail("AUTH refused without TLS");
    if (offers_mechanism("PLAIN")) {
      std::string token = std::string(1, '\0') + options_.user + '\0' + options_.password;
      std::string line = "AUTH PLAIN " + encode_base64(token);
      crypto::erase_secret(token);
      const Reply reply = command(line, "AUTH");
      crypto::erase_secret(line);
      expect(reply, 235, false);
      return;
    }
    if (offers_mechanism("LOGIN")) {
      expect(command("AUTH LOGIN", "AUTH"), 334, false);
      expect(command(encode_base64(options_.user), "AUTH"), 334, false);
      std::string secret = encode_base64(options_.password);
      const Reply reply = command(secret, "AUTH");
      crypto::erase_secret(secret);
      expect(reply, 235, false);
      return;
    }
    fail("relay offers neither AUTH PLAIN nor AUTH LOGIN");
  }

  const SmtpOptions& options_;
  asio::io_context io_;
  asio::ssl::context tls_context_;
  tcp::socket socket_;
  std::optional<asio::ssl::stream<tcp::socket&>> tls_;
  const SteadyClock::time_point session_end_;
  std::string buffer_;  // read but not yet taken: the rest after a reply line
  std::string step_ = "connect";
  std::vector<std::string> extensions_;  // upper-cased EHLO lines after the greeting
};

}  // namespace

std::string_view to_string(SmtpTls tls) {
  for (const auto& [value, name] : kTlsNames) {
    if (value == tls) return name;
  }
  return "unknown";
}

std::optional<SmtpTls> parse_smtp_tls(std::string_view text) {
  for (const auto& [value, name] : kTlsNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string dot_stuffed(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 40 + 8);
  std::size_t at = 0;
  while (at < message.size()) {
    auto end = message.find('\n', at);
    if (end == std::string_view::npos) end = message.size();
    auto line = message.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '.') out += '.';
    out += line;
    out += "\r\n";
    at = end + 1;
  }
  out += ".\r\n";
  return out;
}

void send_mail(const SmtpOptions& options, const std::string& from, const std::string& to,
               const std::string& message) {
  try {
    Session session(options);
    session.send(from, to, message);
  } catch (const SmtpError&) {
    throw;
  } catch (const std::exception& e) {
    // Asio's and OpenSSL's own errors (a CA file that cannot be read, ...): worth a retry.
    throw SmtpError(std::string("smtp: ") + e.what(), false);
  }
}

}  // namespace callsight::mail
