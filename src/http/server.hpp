#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/cpu_slots.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace callsight::http {

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; Server::port() tells which
  int threads = 0;            // io threads; 0 means 4 per core, at least 8
  std::size_t header_limit = std::size_t{8} * 1024;   // larger headers get 431
  std::size_t body_limit = std::size_t{1024} * 1024;  // larger bodies get 413
  std::chrono::seconds read_timeout{30};              // a request must arrive whole within this
  std::chrono::seconds idle_timeout{60};              // a kept-alive connection may idle this long
  std::size_t max_connections = 10000;                // connections beyond these are closed at once
  // Both set: HTTPS only (TLS 1.2+), from PEM files; a bad file makes the constructor throw.
  std::string tls_cert_file;  // the certificate chain, server certificate first
  std::string tls_key_file;
  // Proxies (CIDR blocks) whose X-Forwarded-For is believed: Request::remote_address is then
  // the client they name (core/cidr.hpp, forwarded_client), not the proxy.
  std::vector<std::string> trusted_proxies;
  // Request work (parsing, the handler, the response) runs in one of these slots, shared by
  // every listener of the process (common/cpu_slots.hpp); null: as many at once as there are
  // io threads.
  CpuSlots* cpu_slots = nullptr;
};

// Beast HTTP/1.1 server with keep-alive, over TLS when given a certificate. Beast and Asio stay
// inside server.cpp so that only one translation unit pays for their headers.
class Server {
 public:
  // Binds and listens at once, so a bad address fails here and port() is known.
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string address() const;  // "host:port" as bound
  bool tls() const;

  // From now on SIGINT and SIGTERM stop this server (once it runs) instead of killing the
  // process. Call it before announcing readiness: whoever sends a signal on seeing the
  // announcement must get a clean shutdown.
  void catch_signals();
  // Serves until stop() or a caught signal; in-flight requests finish before it returns.
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callsight::http
