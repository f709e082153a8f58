#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callsight::http {

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";  // path plus optional "?query"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when not empty
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // First header with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 80;
  // https: the server's certificate must chain to the system's trusted CAs (or those in
  // ca_file) and name `host` (a DNS name, sent as SNI, or an IP address).
  bool tls = false;
  std::string ca_file;  // PEM certificates trusted besides the system's; "" for none
  // When set, connect to this IP address instead of resolving host; host still names the
  // server in Host, SNI and the certificate check. Lets a caller vet the address it resolved
  // and connect to exactly that one, so a second DNS answer cannot differ.
  std::string connect_address;
  std::chrono::milliseconds timeout{5000};   // per request: connect, send and whole answer
  std::size_t body_limit = 8 * 1024 * 1024;  // larger answers are an error
};

// Synchronous HTTP/1.1 client over TCP or TLS that keeps one connection to host:port alive
// between requests. Not thread-safe: one Client per thread. Beast and Asio stay inside
// client.cpp, as they do for the server.
class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Throws std::runtime_error when the server cannot be reached, fails the TLS handshake or
  // certificate check, does not answer within the timeout or answers something that is not
  // HTTP. Any HTTP status is a normal answer.
  ClientResponse send(const ClientRequest& request);

  // How many connections this client has opened so far: 1 while keep-alive holds.
  std::size_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
ClientResponse fetch(const ClientOptions& options, const ClientRequest& request);

}  // namespace callsight::http
