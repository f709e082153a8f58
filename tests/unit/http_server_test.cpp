#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/cpu_slots.hpp"
#include "http/deferred_response.hpp"
#include "http/server.hpp"
#include "running_server.hpp"

namespace callsight::http {
namespace {

// A blocking client socket; every receive gives up after a few seconds so a broken server
// fails the test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket");
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect");
    }
  }
  ~Client() { ::close(fd_); }

  void send(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close early, e.g. after a 431
      sent += static_cast<std::size_t>(n);
    }
  }

  // Reads one response whose length is given by Content-Length.
  std::string read_response() {
    for (;;) {
      const auto header_end = pending_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const std::size_t total = header_end + 4 + content_length(pending_.substr(0, header_end));
        if (pending_.size() >= total) {
          std::string response = pending_.substr(0, total);
          pending_.erase(0, total);
          return response;
        }
      }
      if (!receive()) return std::exchange(pending_, {});
    }
  }

  // True when the server closed the connection (EOF), false on data or timeout.
  bool closed_by_server() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool receive() {
    char chunk[4096];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    pending_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  static std::size_t content_length(const std::string& head) {
    const auto at = head.find("Content-Length: ");
    return at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
  }

  int fd_;
  std::string pending_;
};

std::string body_of(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

Response hello(const Request&) {
  Response response;
  response.status = 201;
  response.content_type = "text/plain";
  response.body = "hello";
  response.headers = {{"WWW-Authenticate", "Digest realm=\"a\""},
                      {"WWW-Authenticate", "Basic realm=\"a\""}};
  return response;
}

TEST(HttpServer, ReturnsHandlerStatusBodyAndRepeatedHeaders) {
  RunningServer running(hello);
  Client client(running.port());
  client.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string response = client.read_response();
  EXPECT_EQ(response.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nWWW-Authenticate: Digest realm=\"a\"\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nWWW-Authenticate: Basic realm=\"a\"\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nContent-Type: text/plain\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nServer: callsightd\r\n"), std::string::npos);
  EXPECT_EQ(body_of(response), "hello");
}

TEST(HttpServer, OmitsContentTypeWhenBodyIsEmpty) {
  RunningServer running([](const Request&) {
    Response response;
    response.status = 401;
    return response;
  });
  Client client(running.port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string response = client.read_response();
  EXPECT_EQ(response.rfind("HTTP/1.1 401 ", 0), 0u) << response;
  EXPECT_EQ(response.find("Content-Type"), std::string::npos) << response;
  EXPECT_NE(response.find("\r\nContent-Length: 0\r\n"), std::string::npos) << response;
}

TEST(HttpServer, AnswersTwoRequestsOnOneKeptAliveConnection) {
  RunningServer running(hello);
  Client client(running.port());
  client.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "hello");
  client.send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "hello");
}

// Echoes what the handler saw, so each response names the request it answers.
Response echo(const Request& request) {
  Response response;
  response.content_type = "text/plain";
  response.body = request.target + " " + request.body;
  return response;
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  RunningServer running(echo);
  Client client(running.port());
  client.send(
      "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
      "POST /4 HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc");
  EXPECT_EQ(body_of(client.read_response()), "/1 xyz");
  EXPECT_EQ(body_of(client.read_response()), "/2 ");
  EXPECT_EQ(body_of(client.read_response()), "/3 ab");
  // The last body arrives in two parts: the server waits for the rest.
  client.send("def");
  EXPECT_EQ(body_of(client.read_response()), "/4 abcdef");
}

TEST(HttpServer, AnswersALongPipelineOnOneConnection) {
  RunningServer running(echo);
  Client client(running.port());
  constexpr int kRequests = 5000;
  std::string pipeline;
  for (int i = 0; i < kRequests; ++i) {
    pipeline += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  }
  std::thread sender([&] { client.send(pipeline); });
  for (int i = 0; i < kRequests; ++i) {
    const auto body = body_of(client.read_response());
    if (body != "/" + std::to_string(i) + " ") {
      ADD_FAILURE() << "response " << i << ": " << body;
      break;
    }
  }
  sender.join();
}

// A long body is sent from where it is, beside the head: every byte in its place, the part
// the first write left resumed where it stopped.
TEST(HttpServer, DeliversAResponseLargerThanTheSocketBuffersToASlowReader) {
  std::string large(8 << 20, 'x');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>('a' + i % 23);
  RunningServer running([&](const Request& request) {
    Response response;
    response.content_type = "text/plain";
    response.body = request.target == "/large" ? large : "small";
    return response;
  });
  Client client(running.port());
  client.send("GET /large HTTP/1.1\r\nHost: a\r\n\r\n");
  // The server's first write fills the buffers and the rest must wait for the reader.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(body_of(client.read_response()), large);
  client.send("GET /small HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "small");
}

TEST(HttpServer, ClosesHttp10ConnectionWithoutKeepAlive) {
  RunningServer running(hello);
  Client client(running.port());
  client.send("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "hello");
  EXPECT_TRUE(client.closed_by_server());
}

TEST(HttpServer, HandlerSeesMethodTargetLowerCasedHeadersBodyAndPeer) {
  std::mutex mutex;
  Request seen;
  RunningServer running([&](const Request& request) {
    std::lock_guard lock(mutex);
    seen = request;
    return Response{};
  });
  Client client(running.port());
  client.send(
      "POST /2.4.9/customers?limit=5 HTTP/1.1\r\nHost: a\r\nX-Custom-Name: Value\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nname=ab");
  client.read_response();
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path(), "/2.4.9/customers");
  EXPECT_EQ(seen.query(), "limit=5");
  EXPECT_EQ(seen.header("x-custom-name"), "Value");
  EXPECT_EQ(seen.header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(seen.body, "name=ab");
  EXPECT_EQ(seen.remote_address, "127.0.0.1");
}

TEST(HttpServer, AnswersOversizedHeaderWith431Json) {
  ServerOptions options;
  options.header_limit = 1024;
  RunningServer running(hello, options);
  Client client(running.port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(4000, 'x') + "\r\n\r\n");
  const std::string response = client.read_response();
  EXPECT_EQ(response.rfind("HTTP/1.1 431 ", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos) << response;
  EXPECT_NE(body_of(response).find("\"code\":\"header_too_large\""), std::string::npos);
  EXPECT_TRUE(client.closed_by_server());
}

TEST(HttpServer, AnswersOversizedBodyWith413Json) {
  ServerOptions options;
  options.body_limit = 10;
  RunningServer running(hello, options);
  Client client(running.port());
  client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b'));
  const std::string response = client.read_response();
  EXPECT_EQ(response.rfind("HTTP/1.1 413 ", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(body_of(response).find("\"code\":\"body_too_large\""), std::string::npos);
}

TEST(HttpServer, AnswersMalformedRequestWith400Json) {
  RunningServer running(hello);
  Client client(running.port());
  client.send("GET / HTTP/1.1\r\nBad Header Without Colon\r\n\r\n");
  const std::string response = client.read_response();
  EXPECT_EQ(response.rfind("HTTP/1.1 400 ", 0), 0u) << response;
  EXPECT_NE(body_of(response).find("\"code\":\"bad_request\""), std::string::npos);
}

TEST(HttpServer, TurnsHandlerExceptionInto500AndKeepsServing) {
  RunningServer running([](const Request& request) {
    if (request.path() == "/boom") throw std::runtime_error("database gone");
    return hello(request);
  });
  Client client(running.port());
  client.send("GET /boom HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string response = client.read_response();
  EXPECT_EQ(response.rfind("HTTP/1.1 500 ", 0), 0u) << response;
  EXPECT_NE(body_of(response).find("\"code\":\"internal\""), std::string::npos);
  client.send("GET /fine HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "hello");
}

TEST(HttpServer, ClosesConnectionsBeyondTheCapAtOnce) {
  ServerOptions options;
  options.max_connections = 1;
  RunningServer running(hello, options);
  Client first(running.port());
  first.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(body_of(first.read_response()), "hello");
  Client second(running.port());
  EXPECT_TRUE(second.closed_by_server());
  first.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(body_of(first.read_response()), "hello");
}

TEST(HttpServer, StopLetsARunningHandlerDeliverItsResponse) {
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  Server server(options, [&](const Request& request) {
    if (request.path() == "/slow") {
      entered.set_value();
      released.wait();
    }
    return hello(request);
  });
  std::thread runner([&] { server.run(); });
  Client busy(server.port());
  Client idle(server.port());
  idle.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
  idle.read_response();  // now a kept-alive connection waiting for its next request
  busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
  entered.get_future().wait();

  server.stop();
  EXPECT_TRUE(idle.closed_by_server());
  release.set_value();
  const std::string response = busy.read_response();
  runner.join();  // run() returns once the response is out

  EXPECT_EQ(response.rfind("HTTP/1.1 201 ", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos) << response;
  EXPECT_EQ(body_of(response), "hello");
}

TEST(HttpServer, RunsTheWorkOfOneRequestAtATimeInOneCpuSlot) {
  CpuSlots slots(1, std::chrono::seconds(10));
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  ServerOptions options{.host = "127.0.0.1", .port = 0, .threads = 4, .cpu_slots = &slots};
  Server server(options, [&](const Request& request) {
    const int now = ++inside;
    int seen = most_inside.load();
    while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
    }
    // Four io threads would run four of these at once without the slot.
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    --inside;
    return hello(request);
  });
  std::thread runner([&] { server.run(); });
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 6; ++i) clients.push_back(std::make_unique<Client>(server.port()));
  for (auto& client : clients) client->send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  for (auto& client : clients) EXPECT_EQ(body_of(client->read_response()), "hello");
  server.stop();
  runner.join();
  EXPECT_EQ(most_inside.load(), 1);
  const auto stats = slots.stats();
  EXPECT_GE(stats.taken, 6u);
  EXPECT_EQ(stats.overruns, 0u);
  EXPECT_EQ(stats.busy, 0u);
  // The requests that found the slot busy were queued for its holder: no io thread slept.
  EXPECT_EQ(stats.sleeps, 0u);
}

TEST(HttpServer, StopBeforeRunMakesRunReturn) {
  Server server(ServerOptions{.host = "127.0.0.1", .port = 0}, hello);
  server.stop();
  server.run();
}

TEST(HttpServer, ReportsEphemeralPortAndAddress) {
  Server server(ServerOptions{.host = "127.0.0.1", .port = 0}, hello);
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.address(), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(HttpServer, BracketsIpv6Address) {
  try {
    Server server(ServerOptions{.host = "::1", .port = 0}, hello);
    EXPECT_EQ(server.address(), "[::1]:" + std::to_string(server.port()));
  } catch (const std::runtime_error&) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
}

TEST(HttpServer, ThrowsWhenTheAddressCannotBeBound) {
  // 192.0.2.0/24 is reserved for documentation, so no host owns it.
  EXPECT_THROW(Server(ServerOptions{.host = "192.0.2.1", .port = 0}, hello), std::runtime_error);
  Server taken(ServerOptions{.host = "127.0.0.1", .port = 0}, hello);
  try {
    Server(ServerOptions{.host = "127.0.0.1", .port = taken.port()}, hello);
    FAIL() << "second bind on the same port succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(taken.port())),
              std::string::npos)
        << e.what();
  }
}

TEST(HttpServer, ClosesConnectionThatSendsNothingWithinReadTimeout) {
  ServerOptions options;
  options.read_timeout = std::chrono::seconds(1);
  RunningServer running(hello, options);
  Client client(running.port());
  EXPECT_TRUE(client.closed_by_server());
}

// ---- framing by RFC 9112 ----

// Counts the requests that reach the handler and keeps the bodies they carried.
class CountingHandler {
 public:
  Response operator()(const Request& request) {
    std::lock_guard lock(mutex_);
    bodies_.push_back(request.target + " " + request.body);
    return hello(request);
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

struct Refusal {
  int status;
  std::string code;
};

// Sends `request`, expects `refusal` in the errors envelope with Connection: close, and the
// connection closed after it; the handler must never see a request.
void expect_refused(const std::string& request, const Refusal& refusal) {
  CountingHandler handler;
  RunningServer running([&](const Request& r) { return handler(r); });
  Client client(running.port());
  client.send(request);
  const std::string response = client.read_response();
  EXPECT_EQ(response.rfind("HTTP/1.1 " + std::to_string(refusal.status) + " ", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos) << response;
  EXPECT_NE(response.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(body_of(response).find("{\"errors\":[{\"code\":\"" + refusal.code + "\""),
            std::string::npos)
      << response;
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(handler.seen().empty());
}

TEST(HttpServer, RefusesTwoAuthorizationHeaders) {
  expect_refused(
      "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\nAuthorization: Basic Yzpk\r\n\r\n",
      {400, "bad_request"});
}

TEST(HttpServer, RefusesAndClosesWhenTheFinalTransferCodingIsNotChunked) {
  // Without chunked last the body's length is unknowable: what follows must never be read as
  // the next request (request smuggling).
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  for (const std::string codings : {"gzip", "chunked, gzip", "chunked;x=1, identity", ","}) {
    SCOPED_TRACE(codings);
    expect_refused(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + codings + "\r\n\r\n" + smuggled,
        {400, "bad_request"});
  }
  expect_refused(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" + smuggled,
      {400, "bad_request"});
  // HTTP/1.0 knows no transfer codings, so even chunked is faulty framing there.
  expect_refused(
      "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n" +
          smuggled,
      {400, "bad_request"});
  // Content-Length beside a coding that is not chunked: neither length is believed.
  expect_refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: " +
                     std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled,
                 {400, "bad_request"});
}

TEST(HttpServer, AnswersACodingBeforeChunkedWith501) {
  const std::string body = "5\r\nhello\r\n0\r\n\r\n";
  expect_refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + body,
                 {501, "not_implemented"});
  // Repeated fields are one list: gzip first, chunked last.
  expect_refused(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
      "chunked\r\n\r\n" +
          body,
      {501, "not_implemented"});
}

TEST(HttpServer, RefusesObsoleteLineFolding) {
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nX-Note: one\r\n two\r\n\r\n", {400, "bad_request"});
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic\r\n\tYTpi\r\n\r\n",
                 {400, "bad_request"});
  expect_refused("GET / HTTP/1.1\r\n Host: a\r\n\r\n", {400, "bad_request"});
}

TEST(HttpServer, ReadsAChunkedBodyAndKeepsTheConnection) {
  CountingHandler handler;
  RunningServer running([&](const Request& r) { return handler(r); });
  Client client(running.port());
  // A space inside a value and a body holding CRLF-space are not folding.
  client.send(
      "POST /1 HTTP/1.1\r\nHost: a\r\nX-Note: one two\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "7\r\nhel\r\n l\r\n0\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "hello");
  client.send("GET /2 HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "hello");
  EXPECT_EQ(handler.seen(), (std::vector<std::string>{"/1 hel\r\n l", "/2 "}));
}

// A handler that takes its answer away (http/deferred_response.hpp) gives its io thread
// back: with two io threads and two answers outstanding, a third request is still answered.
// The deferred answers go out when given, from another thread, and the connections stay open.
TEST(HttpServer, DeferredAnswersLeaveTheIoThreadsFree) {
  std::mutex mutex;
  std::vector<Respond> waiting;
  RunningServer running([&](const Request& request) {
    if (request.path() == "/later") {
      std::lock_guard lock(mutex);
      waiting.push_back(defer_response());
      return Response{.status = 500, .body = "never sent"};
    }
    return Response{.body = "now"};
  });
  Client first(running.port());
  Client second(running.port());
  Client third(running.port());
  first.send("POST /later HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  second.send("POST /later HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  third.send("GET /now HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(body_of(third.read_response()), "now");
  // The deferred requests may reach the handler after the third: wait for both.
  for (;;) {
    std::lock_guard lock(mutex);
    if (waiting.size() == 2) break;
  }
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(waiting[i]);
    waiting[i](Response{.status = 202, .body = "later " + std::to_string(i)});
  }
  waiting.clear();  // each holds its connection's session until it goes
  const auto answer_one = first.read_response();
  const auto answer_two = second.read_response();
  EXPECT_EQ(answer_one.rfind("HTTP/1.1 202 Accepted\r\n", 0), 0u) << answer_one;
  EXPECT_EQ(answer_two.rfind("HTTP/1.1 202 Accepted\r\n", 0), 0u) << answer_two;
  EXPECT_NE(body_of(answer_one), body_of(answer_two));
  first.send("GET /now HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(body_of(first.read_response()), "now");
}

TEST(HttpServer, NoAnswerCanBeDeferredOutsideTheServer) { EXPECT_FALSE(defer_response()); }

}  // namespace
}  // namespace callsight::http
