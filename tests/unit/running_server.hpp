// An http::Server on 127.0.0.1 serving from its own thread for the length of a test.
#pragma once

#include <cstdint>
#include <optional>
#include <thread>

#include "http/server.hpp"

namespace callsight::http {

class RunningServer {
 public:
  // Port 0 picks a free port; a test may pass one to come back on it.
  explicit RunningServer(Handler handler, ServerOptions options = {}, std::uint16_t port = 0) {
    options.host = "127.0.0.1";
    options.port = port;
    options.threads = 2;
    server_.emplace(options, std::move(handler));
    thread_ = std::thread([this] { server_->run(); });
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::uint16_t port() { return server_->port(); }

 private:
  std::optional<Server> server_;
  std::thread thread_;
};

}  // namespace callsight::http
