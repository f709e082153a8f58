#include "http/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <stdexcept>

#include "common/text.hpp"

namespace callsight::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;
using Deadline = std::chrono::steady_clock::time_point;

bool has_header(const ClientRequest& request, std::string_view lower_name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return ascii_lower(header.first) == lower_name; });
}

BeastRequest to_beast(const ClientRequest& request, const std::string& host_header) {
  BeastRequest out;
  const auto verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) {
    out.method_string(request.method);
  } else {
    out.method(verb);
  }
  out.target(request.target);
  out.version(11);
  if (!has_header(request, "host")) out.set(bhttp::field::host, host_header);
  if (!has_header(request, "user-agent")) out.set(bhttp::field::user_agent, "callsight");
  for (const auto& [name, value] : request.headers) out.insert(name, value);
  out.body() = request.body;
  out.keep_alive(true);
  out.prepare_payload();
  return out;
}

ClientResponse from_beast(BeastResponse&& response) {
  ClientResponse out;
  out.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    out.headers.emplace_back(ascii_lower(std::string(field.name_string())),
                             std::string(field.value()));
  }
  out.body = std::move(response.body());
  return out;
}

// A server closes idle keep-alive connections whenever it likes; a request that meets such a
// connection fails before any answer byte and is safe to send again on a fresh one.
bool is_stale_connection(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

bool is_ip_address(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

asio::ssl::context verifying_context(const std::string& ca_file) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_default_verify_paths();
  if (!ca_file.empty()) context.load_verify_file(ca_file);
  context.set_verify_mode(asio::ssl::verify_peer);
  return context;
}

// The certificate must name the host we meant, not just chain to a trusted CA; SNI lets a
// server that hosts several names pick the right certificate (IP addresses carry no SNI).
void expect_peer_name(TlsStream& stream, const std::string& host) {
  SSL* ssl = stream.native_handle();
  const bool named = is_ip_address(host)
                         ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1
                         : SSL_set1_host(ssl, host.c_str()) == 1 &&
                               SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  if (!named) throw std::runtime_error("http client: cannot check the TLS name " + host);
}

}  // namespace

std::optional<std::string_view> ClientResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

struct Client::Impl {
  struct Exchange {
    beast::error_code ec;
    bool got_answer_bytes = false;
    BeastResponse response;
  };

  explicit Impl(ClientOptions o) : options(std::move(o)) {
    if (options.tls) tls_context.emplace(verifying_context(options.ca_file));
  }

  // host:port, with an IPv6 address in brackets as the Host header wants it.
  std::string where() const {
    const bool ipv6 = options.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
  }

  // Asio timeouts only apply to asynchronous operations, so each step is started
  // asynchronously and the io_context is run until it completes.
  void run_until_done() {
    io.restart();
    io.run();
  }

  bool connected() const { return plain.has_value() || secure.has_value(); }

  void disconnect() {
    plain.reset();
    secure.reset();
  }

  // Calls f with the open stream, whichever kind it is.
  template <class F>
  auto with_stream(F&& f) {
    return secure ? f(*secure) : f(*plain);
  }

  [[noreturn]] void fail(const std::string& what, const beast::error_code& ec) {
    disconnect();
    if (ec == beast::error::timeout) {
      throw std::runtime_error("http client: " + what + " " + where() + " timed out after " +
                               std::to_string(options.timeout.count()) + " ms");
    }
    throw std::runtime_error("http client: " + what + " " + where() + " failed: " + ec.message());
  }

  tcp::resolver::results_type resolve() {
    beast::error_code ec;
    tcp::resolver resolver(io);
    const std::string& name =
        options.connect_address.empty() ? options.host : options.connect_address;
    const auto flags =
        options.connect_address.empty() ? tcp::resolver::flags() : tcp::resolver::numeric_host;
    auto endpoints = resolver.resolve(name, std::to_string(options.port), flags, ec);
    if (ec) fail("resolving", ec);
    return endpoints;
  }

  void connect(Deadline deadline) {
    const auto endpoints = resolve();
    disconnect();
    buffer.clear();
    beast::tcp_stream& tcp_stream =
        options.tls ? beast::get_lowest_layer(secure.emplace(io, *tls_context)) : plain.emplace(io);
    beast::error_code ec;
    tcp_stream.expires_at(deadline);
    tcp_stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run_until_done();
    if (ec) fail("connecting to", ec);
    ++opened;
    if (options.tls) handshake(deadline);
  }

  void handshake(Deadline deadline) {
    expect_peer_name(*secure, options.host);
    beast::error_code ec;
    beast::get_lowest_layer(*secure).expires_at(deadline);
    secure->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    run_until_done();
    if (ec) fail("TLS handshake with", ec);
  }

  template <class Stream>
  Exchange exchange(Stream& stream, const BeastRequest& request, Deadline deadline) {
    Exchange out;
    beast::get_lowest_layer(stream).expires_at(deadline);
    bhttp::async_write(stream, request, [&](beast::error_code e, std::size_t) { out.ec = e; });
    run_until_done();
    if (out.ec) return out;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.body_limit);
    bhttp::async_read(stream, buffer, parser,
                      [&](beast::error_code e, std::size_t) { out.ec = e; });
    run_until_done();
    out.got_answer_bytes = parser.got_some();
    if (!out.ec) out.response = parser.release();
    return out;
  }

  Exchange exchange(const BeastRequest& request, Deadline deadline) {
    return with_stream([&](auto& stream) { return exchange(stream, request, deadline); });
  }

  ClientResponse send(const ClientRequest& request) {
    const Deadline deadline = std::chrono::steady_clock::now() + options.timeout;
    const BeastRequest beast_request = to_beast(request, where());
    const bool reused = connected();
    if (!reused) connect(deadline);
    Exchange result = exchange(beast_request, deadline);
    if (reused && is_stale_connection(result.ec) && !result.got_answer_bytes) {
      connect(deadline);
      result = exchange(beast_request, deadline);
    }
    if (result.ec) fail("request to", result.ec);
    if (!result.response.keep_alive()) disconnect();
    return from_beast(std::move(result.response));
  }

  ClientOptions options;
  asio::io_context io;
  std::optional<asio::ssl::context> tls_context;  // with options.tls only
  std::optional<beast::tcp_stream> plain;
  std::optional<TlsStream> secure;
  beast::flat_buffer buffer;
  std::size_t opened = 0;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

ClientResponse Client::send(const ClientRequest& request) { return impl_->send(request); }

std::size_t Client::connections_opened() const { return impl_->opened; }

ClientResponse fetch(const ClientOptions& options, const ClientRequest& request) {
  return Client(options).send(request);
}

}  // namespace callsight::http
