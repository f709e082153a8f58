#include "http/server.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/defer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/text.hpp"
#include "core/cidr.hpp"
#include "http/deferred_response.hpp"
#include "http/error.hpp"

namespace callsight::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;

// Caps how long stop() waits for connections that are still busy (a client that does not read
// its response, a slow handler) before run() gives up on them.
constexpr std::chrono::seconds kShutdownGrace{10};
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
// After an error response the server drains what the client is still sending for a moment:
// closing a socket with unread input sends a reset, and the client would lose the response.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr std::size_t kReadChunk = 4096;
// TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are all of that already).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; allow-lists are written in IPv4.
std::string peer_ip(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// Every X-Forwarded-For header in order, as one list (proxies may add a header of their own).
std::string forwarded_for(const Request& request) {
  std::string list;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-forwarded-for") continue;
    if (!list.empty()) list += ',';
    list += value;
  }
  return list;
}

Request to_request(BeastRequest&& beast_request, const std::string& remote_address,
                   const std::vector<std::string>& trusted_proxies) {
  Request request;
  request.method = ascii_upper(std::string(beast_request.method_string()));
  request.target = std::string(beast_request.target());
  for (const auto& field : beast_request) {
    request.headers.emplace_back(ascii_lower(std::string(field.name_string())),
                                 std::string(field.value()));
  }
  request.body = std::move(beast_request.body());
  request.remote_address =
      trusted_proxies.empty()
          ? remote_address
          : forwarded_client(remote_address, forwarded_for(request), trusted_proxies);
  return request;
}

BeastResponse to_beast(Response response, unsigned version, bool keep_alive, bool head) {
  BeastResponse out;
  out.version(version);
  out.result(static_cast<unsigned>(response.status));
  out.set(bhttp::field::server, "callsightd");
  if (!response.body.empty()) out.set(bhttp::field::content_type, response.content_type);
  // insert, not set: several challenges may share a name and each needs its own line.
  for (const auto& [name, value] : response.headers) out.insert(name, value);
  out.keep_alive(keep_alive);
  out.body() = std::move(response.body);
  out.prepare_payload();
  if (head) {
    const auto length = out.body().size();
    out.body().clear();
    out.content_length(length);
  }
  return out;
}

// The response's head as it goes on the wire: what Beast's serializer writes (status line,
// the fields as stored) without the gather list it walks on every write.
void write_wire_head(const BeastResponse& response, std::string& out) {
  out.clear();
  out += response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(response.result_int());
  out += ' ';
  const auto reason = response.reason();
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& field : response) {
    out.append(field.name_string().data(), field.name_string().size());
    out += ": ";
    out.append(field.value().data(), field.value().size());
    out += "\r\n";
  }
  out += "\r\n";
}

Response internal_error() { return error_response(500, {"internal", "", "internal error"}); }

Response bad_request(std::string message) {
  return error_response(400, {"bad_request", "", std::move(message)});
}

// The request line and header fields up to and including the empty line that ends them, once
// `bytes` holds them all (the rule Beast's parser uses, so both agree where the header ends).
std::optional<std::string_view> complete_header(std::string_view bytes) {
  const auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  return bytes.substr(0, end + 4);
}

// RFC 9112 §5.2: a line that begins with a space or tab continues the field before it
// (obs-fold). Beast joins such lines silently; we reject them, as the RFC allows, because a
// proxy in front may have read the same bytes as two fields.
bool has_folded_line(std::string_view header) {
  for (auto eol = header.find("\r\n"); eol != std::string_view::npos && eol + 2 < header.size();
       eol = header.find("\r\n", eol + 2)) {
    if (header[eol + 2] == ' ' || header[eol + 2] == '\t') return true;
  }
  return false;
}

std::string_view trim_ows(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The transfer codings in the order they were applied, over every Transfer-Encoding field
// (RFC 9110 §5.3: repeated fields are one comma-separated list); names lower-cased,
// parameters dropped, empty list elements skipped.
std::vector<std::string> transfer_codings(const BeastRequest& request) {
  std::vector<std::string> codings;
  for (const auto& field : request) {
    if (field.name() != bhttp::field::transfer_encoding) continue;
    std::string_view list(field.value().data(), field.value().size());
    while (!list.empty()) {
      const auto comma = list.find(',');
      const auto element = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      const auto coding = trim_ows(element.substr(0, element.find(';')));
      if (!coding.empty()) codings.push_back(ascii_lower(coding));
    }
  }
  return codings;
}

// What RFC 9112 says to answer a header whose framing the server must not guess at, before
// the body is read; nullopt when it is sound. Beast already refuses Content-Length beside
// chunked and conflicting lengths. Every refusal closes the connection (send_error).
std::optional<Response> framing_refusal(const BeastRequest& request) {
  if (request.count(bhttp::field::authorization) > 1) {
    return bad_request("more than one Authorization header");
  }
  if (request.count(bhttp::field::transfer_encoding) == 0) return std::nullopt;
  // §6.1: HTTP/1.0 has no transfer codings, so such a request's framing is faulty.
  if (request.version() < 11) {
    return bad_request("Transfer-Encoding in an HTTP/1.0 request");
  }
  const auto codings = transfer_codings(request);
  // §6.3: without chunked last, a request's body has no length the server can know.
  if (codings.empty() || codings.back() != "chunked") {
    return bad_request("the final transfer coding of a request must be chunked");
  }
  const auto applied_first = std::span(codings).first(codings.size() - 1);
  // §6.1: chunked is applied once.
  if (std::find(applied_first.begin(), applied_first.end(), "chunked") != applied_first.end()) {
    return bad_request("chunked is applied more than once");
  }
  // §6.1: a coding the server does not understand gets 501; it decodes none but chunked.
  if (!applied_first.empty()) {
    return error_response(
        501, {"not_implemented", "", "transfer codings other than chunked are not supported"});
  }
  return std::nullopt;
}

// By default handlers run on the io threads and block in the store (a write waits for the
// durable commit it shares with the writes queued beside it), so a few threads per core keep
// the cores busy and give the group commit company; at one per core, writes waited in single
// file (bench/README.md, Group commit). A caller whose handlers never block asks for one per
// core (the partner API on SQLite, whose waiting requests have threads of their own).
std::size_t thread_count(int requested) {
  if (requested > 0) return static_cast<std::size_t>(requested);
  return std::max(8u, 4 * std::thread::hardware_concurrency());
}

[[noreturn]] void fail_listen(const ServerOptions& options, const std::string& why) {
  throw std::runtime_error("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                           ": " + why);
}

tcp::endpoint resolve_endpoint(asio::io_context& ioc, const ServerOptions& options) {
  std::string host = options.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, options.port};
  tcp::resolver resolver(ioc);
  const auto results =
      resolver.resolve(host, std::to_string(options.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) fail_listen(options, ec.message());
  if (results.empty()) fail_listen(options, "host has no address");
  return results.begin()->endpoint();
}

// OpenSSL's own messages for a missing file are cryptic ("system lib"); say which file first.
void require_readable(const std::string& what, const std::string& path) {
  std::ifstream file(path);
  if (!file)
    throw std::runtime_error("cannot read the TLS " + what + " " + path + ": " +
                             std::generic_category().message(errno));
}

asio::ssl::context make_tls_context(const ServerOptions& options) {
  require_readable("certificate", options.tls_cert_file);
  require_readable("key", options.tls_key_file);
  asio::ssl::context tls(asio::ssl::context::tls_server);
  SSL_CTX* native = tls.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    throw std::runtime_error("the TLS library accepts none of the TLS 1.2 cipher suites");
  }
  // The key goes first: loading a certificate then drops a key that does not match it, which
  // the final check reports as such.
  beast::error_code ec;
  tls.use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error("TLS key " + options.tls_key_file +
                             " is not a PEM private key: " + ec.message());
  }
  tls.use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    throw std::runtime_error("TLS certificate " + options.tls_cert_file +
                             " is not a PEM certificate chain: " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("TLS key " + options.tls_key_file +
                             " does not match the certificate " + options.tls_cert_file);
  }
  return tls;
}

std::optional<asio::ssl::context> tls_context_for(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) return std::nullopt;
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    throw std::runtime_error("TLS needs both a certificate and a key");
  }
  return make_tls_context(options);
}

class Listener;

// What the listener holds of a connection, whichever stream it speaks over.
class Connection {
 public:
  explicit Connection(Listener& listener) : listener_(listener) {}
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Closes the connection if it is between requests; a request in progress finishes first and
  // its response says Connection: close.
  virtual void shut_down() = 0;

 protected:
  Listener& listener_;
};

class Listener {
 public:
  Listener(ServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        tls_(tls_context_for(options_)),
        ioc_(static_cast<int>(thread_count(options_.threads))),
        strand_(asio::make_strand(ioc_)),
        acceptor_(strand_),
        signals_(strand_),
        shutdown_timer_(ioc_) {
    const tcp::endpoint endpoint = resolve_endpoint(ioc_, options_);
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) fail_listen(options_, ec.message());
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) fail_listen(options_, ec.message());
    acceptor_.bind(endpoint, ec);
    if (ec) fail_listen(options_, ec.message());
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail_listen(options_, ec.message());
    bound_ = acceptor_.local_endpoint();
  }

  const ServerOptions& options() const { return options_; }
  const tcp::endpoint& bound() const { return bound_; }
  bool tls() const { return tls_.has_value(); }
  bool stopping() const { return stopping_; }

  void catch_signals() {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
  }

  void run() {
    asio::post(strand_, [this] { start(); });
    std::vector<std::thread> pool;
    const std::size_t threads = thread_count(options_.threads);
    for (std::size_t i = 1; i < threads; ++i) pool.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& thread : pool) thread.join();
  }

  void stop() {
    if (stopping_.exchange(true)) return;
    asio::post(strand_, [this] { begin_shutdown(); });
  }

  // Runs the handler; whatever it throws becomes a 500 so that one bad request cannot take the
  // connection (or the server) down.
  // `point` is the handler's to take (http/deferred_response.hpp): then what this returns is
  // not sent, and the sender defer_response() made sends the answer later.
  BeastResponse respond(Request request, unsigned version, bool keep_alive, DeferralPoint& point) {
    const bool head = request.method == "HEAD";
    try {
      const ResponseDeferral deferral(point);
      Response response = handler_(request);
      return to_beast(std::move(response), version, keep_alive && !stopping_, head);
    } catch (const std::exception& e) {
      spdlog::error("{} {}: handler failed: {}", request.method, request.path(), e.what());
    } catch (...) {
      spdlog::error("{} {}: handler failed with a non-standard exception", request.method,
                    request.path());
    }
    return to_beast(internal_error(), version, keep_alive && !stopping_, head);
  }

  // True on one of this listener's io threads.
  bool on_io_thread() { return ioc_.get_executor().running_in_this_thread(); }

  // Runs `hand_over` on an io thread, from a thread that is not one. What several such threads
  // hand over meanwhile (the group commit's writer answers a whole batch at once) is posted as
  // one handler, whose io thread defers each answer's write to its strand's queue on itself:
  // posted one by one from outside, each woke an idle io thread of its own, a context switch
  // pair per answer.
  void hand_to_io_thread(std::function<void()> hand_over) {
    {
      const std::lock_guard lock(handovers_mutex_);
      handovers_.push_back(std::move(hand_over));
      if (handovers_posted_) return;
      handovers_posted_ = true;
    }
    asio::post(ioc_, [this] { run_handovers(); });
  }

  void unregister(Connection* session) {
    std::lock_guard lock(mutex_);
    sessions_.erase(session);
    if (timer_armed_ && sessions_.empty()) {
      shutdown_timer_.cancel();
      timer_armed_ = false;
    }
  }

 private:
  void start() {
    if (stopping_) return;
    // A signal caught before this point waits in the set and completes this wait at once.
    signals_.async_wait([this](beast::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("signal {} received; shutting down", signal);
      stop();
    });
    accept();
  }

  void accept() {
    acceptor_.async_accept(
        asio::make_strand(ioc_),
        [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (!ec) {
      admit(std::move(socket));
      return accept();
    }
    // Out of file descriptors (or another lasting failure), accepting again at once would
    // fail again at once: a busy loop that starves the connections being served. Pause.
    spdlog::warn("accept: {}; retrying in {} ms", ec.message(), kAcceptRetryDelay.count());
    accept_retry_timer_.expires_after(kAcceptRetryDelay);
    accept_retry_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) accept();
    });
  }

  void run_handovers() {
    std::vector<std::function<void()>> handovers;
    {
      const std::lock_guard lock(handovers_mutex_);
      handovers.swap(handovers_);
      handovers_posted_ = false;
    }
    for (auto& hand_over : handovers) hand_over();
  }

  void admit(tcp::socket socket);
  template <class Stream, class... TlsArgs>
  void admit_as(tcp::socket socket, TlsArgs&... tls);
  void begin_shutdown();

  void on_grace_expired(beast::error_code ec) {
    if (ec) return;
    std::size_t left = 0;
    {
      std::lock_guard lock(mutex_);
      timer_armed_ = false;
      left = sessions_.size();
    }
    spdlog::warn("shutdown: giving up on {} connection(s) after {} s", left,
                 kShutdownGrace.count());
    ioc_.stop();
  }

  ServerOptions options_;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  // Guarded by mutex_. Declared before ioc_: sessions still queued when the io_context is
  // destroyed unregister themselves from its destructor.
  std::unordered_map<Connection*, std::weak_ptr<Connection>> sessions_;
  bool timer_armed_ = false;
  std::mutex handovers_mutex_;
  std::vector<std::function<void()>> handovers_;  // guarded by handovers_mutex_
  bool handovers_posted_ = false;                 // a run_handovers is posted and not begun
  std::optional<asio::ssl::context> tls_;         // set: every connection speaks TLS
  asio::io_context ioc_;
  asio::strand<asio::io_context::executor_type> strand_;  // acceptor, signals, shutdown
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer shutdown_timer_;  // used under mutex_ only
  asio::steady_timer accept_retry_timer_{strand_};
  tcp::endpoint bound_;
};

Connection::~Connection() { listener_.unregister(this); }

// One connection: (TLS handshake,) read a request, call the handler, write the response,
// repeat. Each session runs on its own strand and keeps itself alive through the completion
// handlers it has pending.
template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... TlsArgs>
  Session(Listener& listener, tcp::socket&& socket, TlsArgs&... tls)
      : Connection(listener), stream_(std::move(socket), tls...) {}

  void start() {
    beast::error_code ec;
    // write() tries the socket before it waits: a full send buffer must answer would_block.
    if constexpr (!kTls) tcp().socket().non_blocking(true, ec);
    const auto peer = tcp().socket().remote_endpoint(ec);
    if (!ec) remote_address_ = peer_ip(peer.address());
    asio::dispatch(tcp().get_executor(), in_slot(&Session::begin));
  }

  void shut_down() override {
    asio::post(tcp().get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) self->tcp().close();
    });
  }

 private:
  const ServerOptions& options() const { return listener_.options(); }
  // Every completion runs its work (up to the next wait on the socket) in a CPU slot when the
  // listener has them, or queued behind the slots' holders (common/cpu_slots.hpp).
  template <class... Args>
  auto in_slot(void (Session::*member)(Args...)) {
    return [self = this->shared_from_this(), member](Args... args) {
      CpuSlots* slots = self->options().cpu_slots;
      if (slots == nullptr) return ((*self).*member)(args...);
      slots->run([self, member, args...] { ((*self).*member)(args...); },
                 [executor = self->tcp().get_executor()](CpuSlots::Work work) {
                   asio::post(executor, std::move(work));
                 });
    };
  }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  // One deadline from the accept covers the TLS handshake and the whole first request, so a
  // client that dribbles bytes cannot stretch it.
  void begin() {
    tcp().expires_after(options().read_timeout);
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server, in_slot(&Session::on_handshake));
    } else {
      wait_for_request();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return;  // not TLS, a failed or too slow handshake: the socket closes on release
    wait_for_request();
  }

  // Waits for the first byte of the next request; a kept-alive connection may idle for
  // idle_timeout first.
  void wait_for_request() {
    if (listener_.stopping()) return close();
    if (buffer_.size() > 0) return read_request();  // the client pipelined the next request
    idle_ = true;
    if (kept_alive_) tcp().expires_after(options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk), in_slot(&Session::on_first_bytes));
  }

  void on_first_bytes(beast::error_code ec, std::size_t bytes) {
    idle_ = false;
    if (ec) return;  // closed by the peer, by a timeout or by shutdown
    buffer_.commit(bytes);
    read_request();
  }

  // A kept-alive connection's request must arrive whole within read_timeout of its first byte.
  void read_request() {
    if (kept_alive_) tcp().expires_after(options().read_timeout);
    read_header_bytes();
  }

  std::string_view buffered() const {
    const auto data = buffer_.cdata();
    return {static_cast<const char*>(data.data()), data.size()};
  }

  // Gathers the whole header before Beast parses it, so its raw lines can be checked for
  // obs-fold, which Beast's parser would unfold unseen. More than header_limit without an
  // end goes to the parser too, which answers 431.
  void read_header_bytes() {
    const auto bytes = buffered();
    if (complete_header(bytes) || bytes.size() >= options().header_limit) return parse_header();
    stream_.async_read_some(buffer_.prepare(kReadChunk), in_slot(&Session::on_header_bytes));
  }

  void on_header_bytes(beast::error_code ec, std::size_t bytes) {
    if (ec) return;  // closed, timed out or shut down: no whole request to answer
    buffer_.commit(bytes);
    read_header_bytes();
  }

  void parse_header() {
    if (const auto header = complete_header(buffered()); header && has_folded_line(*header)) {
      return send_error(bad_request("obsolete line folding (obs-fold) in the request header"));
    }
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().header_limit));
    parser_->body_limit(options().body_limit);
    // The header is buffered whole by now (or too long): parsing it here saves the completion
    // Beast's read would post, a wake-up of another io thread on every request.
    beast::error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec != bhttp::error::need_more) return on_header(ec, 0);
    bhttp::async_read_header(stream_, buffer_, *parser_, in_slot(&Session::on_header));
  }

  // Framing is checked before the body is read: its length may be the very thing in doubt.
  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    if (auto refusal = framing_refusal(parser_->get())) return send_error(std::move(*refusal));
    parser_->eager(true);
    // A small body usually came in the same read as the header (or there is none).
    if (!parser_->is_done() && buffer_.size() > 0) {
      buffer_.consume(parser_->put(buffer_.data(), ec));
      if (ec && ec != bhttp::error::need_more) return on_read_error(ec);
    }
    if (parser_->is_done()) return on_read({}, 0);
    bhttp::async_read(stream_, buffer_, *parser_, in_slot(&Session::on_read));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) {
      return send_error(error_response(431, {"header_too_large", "", "request header too large"}));
    }
    if (ec == bhttp::error::body_limit) {
      return send_error(error_response(413, {"body_too_large", "", "request body too large"}));
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return close();
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
      return send_error(bad_request("malformed HTTP request"));
    }
    // Otherwise a socket or TLS error, or a timeout: the stream is already unusable.
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    BeastRequest beast_request = parser_->release();
    const unsigned version = beast_request.version();
    const bool keep_alive = beast_request.keep_alive();
    const bool head = beast_request.method() == bhttp::verb::head;
    Answer answer{this, version, keep_alive, head};
    DeferralPoint point{.make_respond = &Answer::later, .context = &answer};
    auto response = listener_.respond(
        to_request(std::move(beast_request), remote_address_, listener_.options().trusted_proxies),
        version, keep_alive, point);
    if (point.taken) return;  // the handler answers later, through what defer_response gave it
    write(response);
  }

  // How the request being handled is to be answered, should its handler defer the answer.
  struct Answer {
    Session* session;
    unsigned version;
    bool keep_alive;
    bool head;
    static Respond later(void* context) {
      const auto& answer = *static_cast<const Answer*>(context);
      return [self = answer.session->shared_from_this(), version = answer.version,
              keep_alive = answer.keep_alive, head = answer.head](Response response) {
        self->answer_later(std::move(response), version, keep_alive, head);
      };
    }
  };

  // A deferred answer, from whichever thread has it: written on this session's strand, in a
  // CPU slot like every other completion.
  void answer_later(Response response, unsigned version, bool keep_alive, bool head) {
    auto beast_response = std::make_shared<BeastResponse>(
        to_beast(std::move(response), version, keep_alive && !listener_.stopping(), head));
    auto write = [write_it = in_slot(&Session::write_later), beast_response]() mutable {
      write_it(std::move(beast_response));
    };
    if (listener_.on_io_thread()) return asio::post(tcp().get_executor(), std::move(write));
    listener_.hand_to_io_thread(
        [executor = tcp().get_executor(), write = std::move(write)]() mutable {
          asio::defer(executor, std::move(write));
        });
  }

  void write_later(const std::shared_ptr<BeastResponse>& response) { write(*response); }

  void send_error(Response response) {
    lingering_ = true;
    auto beast_response = to_beast(std::move(response), 11, false, false);
    write(beast_response);
  }

  // The head and a short body go out in one buffer; a longer body is sent from where it is,
  // beside the head, rather than copied after it (a 1000-row CDR page's 600 kB copy was 2% of
  // its CPU).
  void write(BeastResponse& response) {
    constexpr std::size_t kCopiedBodyBytes = std::size_t{16} * 1024;
    close_after_write_ = response.need_eof();
    write_wire_head(response, wire_);
    if (response.body().size() <= kCopiedBodyBytes) {
      wire_ += response.body();
    } else {
      long_body_ = std::move(response.body());
    }
    std::array<asio::const_buffer, 2> unsent{asio::buffer(wire_), asio::buffer(long_body_)};
    if constexpr (!kTls) {
      // A response usually fits in the socket's send buffer: written here at once, it needs no
      // completion posted to the io threads. The rest, if any, goes out asynchronously.
      beast::error_code ec;
      auto sent = tcp().socket().write_some(unsent, ec);
      if (!ec && sent == wire_.size() + long_body_.size()) return after_write();
      if (ec && ec != asio::error::would_block) return;  // the peer is gone
      for (auto& buffer : unsent) {
        const auto done = std::min(sent, buffer.size());
        buffer += done;
        sent -= done;
      }
    }
    tcp().expires_after(options().read_timeout);
    // Not the two-element array itself: asio's consuming_buffers for std::array<_, 2> hands
    // on an empty first buffer once the head is written, and beast's flat_stream (under TLS)
    // then writes nothing, which ends async_write early. buffers_cat skips the empty buffer.
    asio::async_write(stream_, beast::buffers_cat(unsent[0], unsent[1]),
                      in_slot(&Session::on_write));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return;
    after_write();
  }

  void after_write() {
    long_body_ = std::string();  // not kept: a long body's capacity would stay with the session
    if (lingering_) return linger();
    if (close_after_write_) return close();
    kept_alive_ = true;
    // A pipelined request is parsed and answered without waiting for the socket; posting it
    // keeps a long pipeline from nesting one call per request on the stack.
    if (buffer_.size() > 0) {
      return asio::post(tcp().get_executor(), in_slot(&Session::wait_for_request));
    }
    wait_for_request();
  }

  void linger() {
    if constexpr (!kTls) {
      beast::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    buffer_.clear();
    tcp().expires_after(kLingerTimeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (!ec) self->drain();
                            });
  }

  // Half-closes (TLS: sends close_notify); the socket itself closes when the last handler
  // releases the session.
  void close() {
    if constexpr (kTls) {
      tcp().expires_after(kLingerTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string wire_;       // the response being written (or its head), kept for its capacity
  std::string long_body_;  // the body of the response being written, when not in wire_
  std::string remote_address_;
  bool close_after_write_ = false;
  bool kept_alive_ = false;  // a response has been sent on this connection
  bool idle_ = false;        // waiting for a request to begin
  bool lingering_ = false;   // the response is an error; drain input, then close
};

template <class Stream, class... TlsArgs>
void Listener::admit_as(tcp::socket socket, TlsArgs&... tls) {
  std::shared_ptr<Session<Stream>> session;
  {
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= options_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    session = std::make_shared<Session<Stream>>(*this, std::move(socket), tls...);
    sessions_.emplace(session.get(), session);
  }
  session->start();
}

void Listener::admit(tcp::socket socket) {
  if (tls_) return admit_as<TlsStream>(std::move(socket), *tls_);
  admit_as<PlainStream>(std::move(socket));
}

void Listener::begin_shutdown() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  signals_.cancel(ignored);
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [_, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    if (!sessions_.empty()) {
      timer_armed_ = true;
      shutdown_timer_.expires_after(kShutdownGrace);
      shutdown_timer_.async_wait([this](beast::error_code ec) { on_grace_expired(ec); });
    }
  }
  for (const auto& session : live) session->shut_down();
}

}  // namespace

struct Server::Impl : Listener {
  using Listener::Listener;
};

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->bound().port(); }

std::string Server::address() const {
  const auto& endpoint = impl_->bound();
  const std::string host = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + host + "]:" + port : host + ":" + port;
}

bool Server::tls() const { return impl_->tls(); }

void Server::catch_signals() { impl_->catch_signals(); }

void Server::run() { impl_->run(); }

void Server::stop() { impl_->stop(); }

}  // namespace callsight::http
