#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/metrics.hpp"
#include "http/server.hpp"

namespace callsight::http {

// One access log line's facts. Deliberately without headers, query string or body: those may
// carry credentials (Authorization, passwords in forms, webhook secrets).
struct AccessLogEntry {
  std::chrono::system_clock::time_point time;
  std::string_view listener;
  std::string_view remote_address;
  std::string_view method;
  std::string_view route;  // the matched pattern, "other" when none matched
  std::string_view path;   // without the query string
  int status = 0;
  std::size_t bytes = 0;  // response body
  std::chrono::nanoseconds duration{0};
  std::optional<std::int64_t> partner_id;
  std::string_view request_id;
};

// The entry as one logfmt line: time=2025-06-01T10:00:00.123Z listener=partner
// remote=127.0.0.1 method=GET route=/miscellaneous/ping path=/miscellaneous/ping status=200
// bytes=15 duration_ms=0.215 partner=1 request_id=3f9a0c1e-1b. Values with spaces, quotes,
// '=' or control characters are quoted and escaped, so a request cannot forge a field or line.
std::string format_access_log(const AccessLogEntry& entry);

// Watches the handlers it wraps: counts and times every request into
// callsight_http_requests_total{listener,route,method,status} and
// callsight_http_request_duration_seconds{listener,route}, gives each response an X-Request-Id,
// and writes one access log line per request to the sink. Must outlive the wrapped handlers.
class RequestObserver {
 public:
  using LogSink = std::function<void(const std::string& line)>;

  // An empty sink: no access log, metrics only.
  RequestObserver(MetricsRegistry& registry, LogSink access_log);
  RequestObserver(const RequestObserver&) = delete;
  RequestObserver& operator=(const RequestObserver&) = delete;

  // `listener` names the port the handler serves ("partner", "switch").
  Handler wrap(Handler inner, std::string listener);

 private:
  std::string next_request_id();
  void observe(const std::string& listener, const Request& request, const Response* response,
               std::chrono::steady_clock::duration took, const std::string& request_id);

  MetricFamily<Counter>& requests_;
  MetricFamily<Histogram>& durations_;
  LogSink access_log_;
  const std::string id_prefix_;  // random per process: ids stay unique across nodes
  std::atomic<std::uint64_t> sequence_{0};
};

}  // namespace callsight::http
