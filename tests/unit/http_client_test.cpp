#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/client.hpp"
#include "http/server.hpp"
#include "running_server.hpp"

namespace callsight::http {
namespace {

// A listening TCP socket that never accepts: the kernel completes the handshake from the
// backlog, so a client connects and sends, then waits for an answer that never comes.
class SilentListener {
 public:
  SilentListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr = loopback(0);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 8) != 0) {
      throw std::runtime_error("cannot listen");
    }
    socklen_t length = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }

  std::uint16_t port() const { return port_; }

  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

// A port nobody listens on: bound once to learn a free number, then released.
std::uint16_t closed_port() {
  std::optional<SilentListener> listener;
  listener.emplace();
  const auto port = listener->port();
  listener.reset();
  return port;
}

ClientOptions options_for(std::uint16_t port) {
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.timeout = std::chrono::seconds(5);
  return options;
}

// Records the last request the server saw and answers with a fixed response.
class Recorder {
 public:
  Handler handler() {
    return [this](const Request& request) {
      std::lock_guard lock(mutex_);
      last_ = request;
      Response response;
      response.status = 201;
      response.content_type = "text/plain";
      response.headers = {{"X-Seen", request.method + " " + request.target}};
      response.body = "got:" + request.body;
      return response;
    };
  }
  Request last() {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  std::mutex mutex_;
  Request last_;
};

TEST(HttpClient, GetReturnsStatusLowerCasedHeadersAndBody) {
  Recorder recorder;
  RunningServer server(recorder.handler());
  Client client(options_for(server.port()));

  const auto response = client.send({.method = "GET", .target = "/x?a=1"});

  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.header("x-seen"), "GET /x?a=1");
  EXPECT_EQ(response.header("content-type"), "text/plain");
  EXPECT_EQ(response.header("X-Seen"), std::nullopt);  // lookups use lower-case names
  EXPECT_EQ(response.body, "got:");
  EXPECT_EQ(recorder.last().header("host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(HttpClient, PostSendsBodyAndCallerHeaders) {
  Recorder recorder;
  RunningServer server(recorder.handler());
  Client client(options_for(server.port()));

  const auto response = client.send(
      {.method = "POST",
       .target = "/switch/route",
       .headers = {{"Content-Type", "application/json"}, {"X-Callsight-Switch-Secret", "s3cret"}},
       .body = R"({"call_id":"c1"})"});

  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, R"(got:{"call_id":"c1"})");
  const Request seen = recorder.last();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/switch/route");
  EXPECT_EQ(seen.body, R"({"call_id":"c1"})");
  EXPECT_EQ(seen.header("content-type"), "application/json");
  EXPECT_EQ(seen.header("x-callsight-switch-secret"), "s3cret");
  EXPECT_EQ(seen.header("content-length"), "16");
}

TEST(HttpClient, ReusesOneKeptAliveConnectionForSeveralRequests) {
  Recorder recorder;
  RunningServer server(recorder.handler());
  Client client(options_for(server.port()));

  for (int i = 0; i < 5; ++i) {
    const auto response =
        client.send({.method = "POST", .target = "/n", .body = std::to_string(i)});
    EXPECT_EQ(response.body, "got:" + std::to_string(i));
  }
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(HttpClient, ReconnectsWhenServerClosedTheKeptAliveConnection) {
  Recorder recorder;
  std::optional<RunningServer> server;
  server.emplace(recorder.handler());
  const auto port = server->port();
  Client client(options_for(port));
  EXPECT_EQ(client.send({.target = "/first"}).status, 201);

  server.reset();  // closes the idle connection the client keeps
  server.emplace(recorder.handler(), ServerOptions{}, port);

  EXPECT_EQ(client.send({.method = "POST", .target = "/second", .body = "b"}).body, "got:b");
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(HttpClient, TimesOutWhenTheServerNeverAnswers) {
  SilentListener silent;
  ClientOptions options = options_for(silent.port());
  options.timeout = std::chrono::milliseconds(200);
  Client client(options);

  const auto started = std::chrono::steady_clock::now();
  try {
    client.send({.method = "POST", .target = "/switch/route", .body = "{}"});
    FAIL() << "expected a timeout";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("timed out after 200 ms"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(silent.port())),
              std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(HttpClient, ThrowsClearErrorWhenConnectionIsRefused) {
  const auto port = closed_port();
  try {
    fetch(options_for(port), {.target = "/"});
    FAIL() << "expected connection refused";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("connecting to 127.0.0.1:" + std::to_string(port)), std::string::npos)
        << what;
    EXPECT_NE(what.find("refused"), std::string::npos) << what;
  }
}

TEST(HttpClient, HttpsToAPlainHttpServerFailsTheTlsHandshake) {
  Recorder recorder;
  RunningServer server(recorder.handler());
  ClientOptions options = options_for(server.port());
  options.tls = true;

  try {
    fetch(options, {.method = "POST", .target = "/hook", .body = "{}"});
    FAIL() << "expected a TLS handshake error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("TLS handshake with 127.0.0.1:" + std::to_string(server.port())),
              std::string::npos)
        << what;
  }
  EXPECT_EQ(recorder.last().target, "");  // nothing reached the handler as a request
}

TEST(HttpClient, HttpsHandshakeThatNeverCompletesTimesOut) {
  SilentListener silent;
  ClientOptions options = options_for(silent.port());
  options.tls = true;
  options.timeout = std::chrono::milliseconds(200);

  try {
    fetch(options, {.target = "/"});
    FAIL() << "expected a timeout";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("TLS handshake with"), std::string::npos) << what;
    EXPECT_NE(what.find("timed out after 200 ms"), std::string::npos) << what;
  }
}

TEST(HttpClient, ConnectsToTheGivenAddressWhileNamingTheHost) {
  Recorder recorder;
  RunningServer server(recorder.handler());
  ClientOptions options = options_for(server.port());
  options.host = "hooks.example.invalid";  // would not resolve
  options.connect_address = "127.0.0.1";

  EXPECT_EQ(fetch(options, {.target = "/x"}).status, 201);
  EXPECT_EQ(recorder.last().header("host"),
            "hooks.example.invalid:" + std::to_string(server.port()));
}

}  // namespace
}  // namespace callsight::http
