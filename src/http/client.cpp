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
#include "common/text.hpp"
namespace {
#include "common/text.hpp"
namespace asio = boost::asio;
#include "common/text.hpp"
namespace beast = boost::beast;
#include "common/text.hpp"
namespace bhttp = boost::beast::http;
#include "common/text.hpp"
using tcp = asio::ip::tcp;
#include "common/text.hpp"
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
#include "common/text.hpp"
using BeastRequest = bhttp::request<bhttp::string_body>;
#include "common/text.hpp"
using BeastResponse = bhttp::response<bhttp::string_body>;
#include "common/text.hpp"
using Deadline = std::chrono::steady_clock::time_point;
#include "common/text.hpp"
bool has_header(const ClientRequest& request, std::string_view lower_name) {
#include "common/text.hpp"
  return std::any_of(request.headers.begin(), request.headers.end(),
#include "common/text.hpp"
                     [&](const auto& header) { return ascii_lower(header.first) == lower_name; });
#include "common/text.hpp"
}
#include "common/text.hpp"
BeastRequest to_beast(const ClientRequest& request, const std::string& host_header) {
#include "common/text.hpp"
  BeastRequest out;
#include "common/text.hpp"
  const auto verb = bhttp::string_to_verb(request.method);
#include "common/text.hpp"
  if (verb == bhttp::verb::unknown) {
#include "common/text.hpp"
    out.method_string(request.method);
#include "common/text.hpp"
  } else {
#include "common/text.hpp"
    out.method(verb);
#include "common/text.hpp"
  }
#include "common/text.hpp"
  out.target(request.target);
#include "common/text.hpp"
  out.version(11);
#include "common/text.hpp"
  if (!has_header(request, "host")) out.set(bhttp::field::host, host_header);
#include "common/text.hpp"
  if (!has_header(request, "user-agent")) out.set(bhttp::field::user_agent, "callsight");
#include "common/text.hpp"
  for (const auto& [name, value] : request.headers) out.insert(name, value);
#include "common/text.hpp"
  out.body() = request.body;
#include "common/text.hpp"
  out.keep_alive(true);
#include "common/text.hpp"
  out.prepare_payload();
#include "common/text.hpp"
  return out;
#include "common/text.hpp"
}
#include "common/text.hpp"
ClientResponse from_beast(BeastResponse&& response) {
#include "common/text.hpp"
  ClientResponse out;
#include "common/text.hpp"
  out.status = static_cast<int>(response.result_int());
#include "common/text.hpp"
  for (const auto& field : response) {
#include "common/text.hpp"
    out.headers.emplace_back(ascii_lower(std::string(field.name_string())),
                             std::string(field.value()));
#include "common/text.hpp"
  }
#include "common/text.hpp"
  out.body = std::move(response.body());
#include "common/text.hpp"
  return out;
#include "common/text.hpp"
}
#include "common/text.hpp"
// A server closes idle keep-alive connections whenever it likes; a request that meets such a
#include "common/text.hpp"
// connection fails before any answer byte and is safe to send again on a fresh one.
#include "common/text.hpp"
bool is_stale_connection(const beast::error_code& ec) {
#include "common/text.hpp"
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
#include "common/text.hpp"
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
#include "common/text.hpp"
         ec == asio::ssl::error::stream_truncated;
#include "common/text.hpp"
}
#include "common/text.hpp"
bool is_ip_address(const std::string& host) {
#include "common/text.hpp"
  beast::error_code ec;
#include "common/text.hpp"
  asio::ip::make_address(host, ec);
#include "common/text.hpp"
  return !ec;
#include "common/text.hpp"
}
#include "common/text.hpp"
asio::ssl::context verifying_context(const std::string& ca_file) {
#include "common/text.hpp"
  asio::ssl::context context(asio::ssl::context::tls_client);
#include "common/text.hpp"
  context.set_default_verify_paths();
#include "common/text.hpp"
  if (!ca_file.empty()) context.load_verify_file(ca_file);
#include "common/text.hpp"
  context.set_verify_mode(asio::ssl::verify_peer);
#include "common/text.hpp"
  return context;
#include "common/text.hpp"
}
#include "common/text.hpp"
// The certificate must name the host we meant, not just chain to a trusted CA; SNI lets a
#include "common/text.hpp"
// server that hosts several names pick the right certificate (IP addresses carry no SNI).
#include "common/text.hpp"
void expect_peer_name(TlsStream& stream, const std::string& host) {
#include "common/text.hpp"
  SSL* ssl = stream.native_handle();
#include "common/text.hpp"
  const bool named = is_ip_address(host)
#include "common/text.hpp"
                         ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1
#include "common/text.hpp"
                         : SSL_set1_host(ssl, host.c_str()) == 1 &&
#include "common/text.hpp"
                               SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
#include "common/text.hpp"
  if (!named) throw std::runtime_error("http client: cannot check the TLS name " + host);
#include "common/text.hpp"
}
#include "common/text.hpp"
}  // namespace
#include "common/text.hpp"
std::optional<std::string_view> ClientResponse::header(std::string_view lower_name) const {
#include "common/text.hpp"
  for (const auto& [name, value] : headers) {
#include "common/text.hpp"
    if (name == lower_name) return value;
#include "common/text.hpp"
  }
#include "common/text.hpp"
  return std::nullopt;
#include "common/text.hpp"
}
#include "common/text.hpp"
struct Client::Impl {
#include "common/text.hpp"
  struct Exchange {
#include "common/text.hpp"
    beast::error_code ec;
#include "common/text.hpp"
    bool got_answer_bytes = false;
#include "common/text.hpp"
    BeastResponse response;
#include "common/text.hpp"
  };
#include "common/text.hpp"
  explicit Impl(ClientOptions o) : options(std::move(o)) {
#include "common/text.hpp"
    if (options.tls) tls_context.emplace(verifying_context(options.ca_file));
#include "common/text.hpp"
  }
#include "common/text.hpp"
  // host:port, with an IPv6 address in brackets as the Host header wants it.
#include "common/text.hpp"
  std::string where() const {
#include "common/text.hpp"
    const bool ipv6 = options.host.find(':') != std::string::npos;
#include "common/text.hpp"
    return (ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
#include "common/text.hpp"
  }
#include "common/text.hpp"
  // Asio timeouts only apply to asynchronous operations, so each step is started
#include "common/text.hpp"
  // asynchronously and the io_context is run until it completes.
#include "common/text.hpp"
  void run_until_done() {
#include "common/text.hpp"
    io.restart();
#include "common/text.hpp"
    io.run();
#include "common/text.hpp"
  }
#include "common/text.hpp"
  bool connected() const { return plain.has_value() || secure.has_value(); }
#include "common/text.hpp"
  void disconnect() {
#include "common/text.hpp"
    plain.reset();
#include "common/text.hpp"
    secure.reset();
#include "common/text.hpp"
  }
#include "common/text.hpp"
  // Calls f with the open stream, whichever kind it is.
#include "common/text.hpp"
  template <class F>
#include "common/text.hpp"
  auto with_stream(F&& f) {
#include "common/text.hpp"
    return secure ? f(*secure) : f(*plain);
#include "common/text.hpp"
  }
#include "common/text.hpp"
  [[noreturn]] void fail(const std::string& what, const beast::error_code& ec) {
#include "common/text.hpp"
    disconnect();
#include "common/text.hpp"
    if (ec == beast::error::timeout) {
#include "common/text.hpp"
      throw std::runtime_error("http client: " + what + " " + where() + " timed out after " +
#include "common/text.hpp"
                               std::to_string(options.timeout.count()) + " ms");
#include "common/text.hpp"
    }
#include "common/text.hpp"
    throw std::runtime_error("http client: " + what + " " + where() + " failed: " + ec.message());
#include "common/text.hpp"
  }
#include "common/text.hpp"
  tcp::resolver::results_type resolve() {
#include "common/text.hpp"
    beast::error_code ec;
#include "common/text.hpp"
    tcp::resolver resolver(io);
#include "common/text.hpp"
    const std::string& name =
#include "common/text.hpp"
        options.connect_address.empty() ? options.host : options.connect_address;
#include "common/text.hpp"
    const auto flags =
#include "common/text.hpp"
        options.connect_address.empty() ? tcp::resolver::flags() : tcp::resolver::numeric_host;
#include "common/text.hpp"
    auto endpoints = resolver.resolve(name, std::to_string(options.port), flags, ec);
#include "common/text.hpp"
    if (ec) fail("resolving", ec);
#include "common/text.hpp"
    return endpoints;
#include "common/text.hpp"
  }
#include "common/text.hpp"
  void connect(Deadline deadline) {
#include "common/text.hpp"
    const auto endpoints = resolve();
#include "common/text.hpp"
    disconnect();
#include "common/text.hpp"
    buffer.clear();
#include "common/text.hpp"
    beast::tcp_stream& tcp_stream =
#include "common/text.hpp"
        options.tls ? beast::get_lowest_layer(secure.emplace(io, *tls_context)) : plain.emplace(io);
#include "common/text.hpp"
    beast::error_code ec;
#include "common/text.hpp"
    tcp_stream.expires_at(deadline);
#include "common/text.hpp"
    tcp_stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
#include "common/text.hpp"
    run_until_done();
#include "common/text.hpp"
    if (ec) fail("connecting to", ec);
#include "common/text.hpp"
    ++opened;
#include "common/text.hpp"
    if (options.tls) handshake(deadline);
#include "common/text.hpp"
  }
#include "common/text.hpp"
  void handshake(Deadline deadline) {
#include "common/text.hpp"
    expect_peer_name(*secure, options.host);
#include "common/text.hpp"
    beast::error_code ec;
#include "common/text.hpp"
    beast::get_lowest_layer(*secure).expires_at(deadline);
#include "common/text.hpp"
    secure->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
#include "common/text.hpp"
    run_until_done();
#include "common/text.hpp"
    if (ec) fail("TLS handshake with", ec);
#include "common/text.hpp"
  }
#include "common/text.hpp"
  template <class Stream>
#include "common/text.hpp"
  Exchange exchange(Stream& stream, const BeastRequest& request, Deadline deadline) {
#include "common/text.hpp"
    Exchange out;
#include "common/text.hpp"
    beast::get_lowest_layer(stream).expires_at(deadline);
#include "common/text.hpp"
    bhttp::async_write(stream, request, [&](beast::error_code e, std::size_t) { out.ec = e; });
#include "common/text.hpp"
    run_until_done();
#include "common/text.hpp"
    if (out.ec) return out;
#include "common/text.hpp"
    bhttp::response_parser<bhttp::string_body> parser;
#include "common/text.hpp"
    parser.body_limit(options.body_limit);
#include "common/text.hpp"
    bhttp::async_read(stream, buffer, parser,
#include "common/text.hpp"
                      [&](beast::error_code e, std::size_t) { out.ec = e; });
#include "common/text.hpp"
    run_until_done();
#include "common/text.hpp"
    out.got_answer_bytes = parser.got_some();
#include "common/text.hpp"
    if (!out.ec) out.response = parser.release();
#include "common/text.hpp"
    return out;
#include "common/text.hpp"
  }
#include "common/text.hpp"
  Exchange exchange(const BeastRequest& request, Deadline deadline) {
#include "common/text.hpp"
    return with_stream([&](auto& stream) { return exchange(stream, request, deadline); });
#include "common/text.hpp"
  }
#include "common/text.hpp"
  ClientResponse send(const ClientRequest& request) {
#include "common/text.hpp"
    const Deadline deadline = std::chrono::steady_clock::now() + options.timeout;
#include "common/text.hpp"
    const BeastRequest beast_request = to_beast(request, where());
#include "common/text.hpp"
    const bool reused = connected();
#include "common/text.hpp"
    if (!reused) connect(deadline);
#include "common/text.hpp"
    Exchange result = exchange(beast_request, deadline);
#include "common/text.hpp"
    if (reused && is_stale_connection(result.ec) && !result.got_answer_bytes) {
#include "common/text.hpp"
      connect(deadline);
#include "common/text.hpp"
      result = exchange(beast_request, deadline);
#include "common/text.hpp"
    }
#include "common/text.hpp"
    if (result.ec) fail("request to", result.ec);
#include "common/text.hpp"
    if (!result.response.keep_alive()) disconnect();
#include "common/text.hpp"
    return from_beast(std::move(result.response));
#include "common/text.hpp"
  }
#include "common/text.hpp"
  ClientOptions options;
#include "common/text.hpp"
  asio::io_context io;
#include "common/text.hpp"
  std::optional<asio::ssl::context> tls_context;  // with options.tls only
#include "common/text.hpp"
  std::optional<beast::tcp_stream> plain;
#include "common/text.hpp"
  std::optional<TlsStream> secure;
#include "common/text.hpp"
  beast::flat_buffer buffer;
#include "common/text.hpp"
  std::size_t opened = 0;
#include "common/text.hpp"
};
#include "common/text.hpp"
Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
#include "common/text.hpp"
Client::~Client() = default;
#include "common/text.hpp"
ClientResponse Client::send(const ClientRequest& request) { return impl_->send(request); }
#include "common/text.hpp"
std::size_t Client::connections_opened() const { return impl_->opened; }
#include "common/text.hpp"
ClientResponse fetch(const ClientOptions& options, const ClientRequest& request) {
#include "common/text.hpp"
  return Client(options).send(request);
#include "common/text.hpp"
}
#include "common/text.hpp"
}  // namespace callsight::http
