#include "http/request_observer.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "common/random.hpp"
#include "http/deferred_response.hpp"

namespace callsight::http {
namespace {

constexpr std::string_view kUnmatchedRoute = "other";

// Methods are the client's to choose; anything unusual shares one series.
std::string_view method_label(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kKnown = {"GET",    "HEAD",    "POST", "PUT",
                                                             "DELETE", "OPTIONS", "PATCH"};
  for (const auto known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (const unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) return true;
  }
  return false;
}

void append_logfmt(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ' ';
  out += key;
  out += '=';
  if (!needs_quotes(value)) {
    out += value;
    return;
  }
  out += '"';
  for (const unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < ' ' || c == 0x7f) {
      std::array<char, 8> escaped{};
      std::snprintf(escaped.data(), escaped.size(), "\\u%04x", c);
      out += escaped.data();
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

std::string utc_millis(std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t t = seconds.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 64> text{};  // roomy enough for any int the compiler imagines in tm
  std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis.count()));
  return text.data();
}

std::string milliseconds_text(std::chrono::nanoseconds duration) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.3f",
                std::chrono::duration<double, std::milli>(duration).count());
  return text.data();
}

}  // namespace

std::string format_access_log(const AccessLogEntry& entry) {
  std::string line;
  append_logfmt(line, "time", utc_millis(entry.time));
  append_logfmt(line, "listener", entry.listener);
  append_logfmt(line, "remote", entry.remote_address);
  append_logfmt(line, "method", entry.method);
  append_logfmt(line, "route", entry.route);
  append_logfmt(line, "path", entry.path);
  append_logfmt(line, "status", std::to_string(entry.status));
  append_logfmt(line, "bytes", std::to_string(entry.bytes));
  append_logfmt(line, "duration_ms", milliseconds_text(entry.duration));
  if (entry.partner_id) append_logfmt(line, "partner", std::to_string(*entry.partner_id));
  append_logfmt(line, "request_id", entry.request_id);
  return line;
}

RequestObserver::RequestObserver(MetricsRegistry& registry, LogSink access_log)
    : requests_(registry.counter("callsight_http_requests_total",
                                 "HTTP requests answered, by listener, route pattern, method and "
                                 "status.",
                                 {"listener", "route", "method", "status"})),
      durations_(registry.histogram("callsight_http_request_duration_seconds",
                                    "Time from a whole request to its response, by listener and "
                                    "route pattern.",
                                    {"listener", "route"}, latency_buckets())),
      access_log_(std::move(access_log)),
      id_prefix_(random_hex(4)) {}

Handler RequestObserver::wrap(Handler inner, std::string listener) {
  return [this, inner = std::move(inner), listener = std::move(listener)](const Request& request) {
    const auto started = std::chrono::steady_clock::now();
    const std::string request_id = next_request_id();
    // A response the handler sends later (http/deferred_response.hpp) is observed when it is
    // sent; the request may be gone by then, so what observe reads of it is copied.
    struct ObserveLater final : DeferralHook {
      ObserveLater(RequestObserver& observer, const std::string& listener,
                   const std::string& request_id, std::chrono::steady_clock::time_point started,
                   const Request& request)
          : observer(observer),
            listener(listener),
            request_id(request_id),
            started(started),
            request(request) {}
      Respond wrap(Respond send) override {
        return [&observer = observer, send = std::move(send), listener = listener,
                request_id = request_id, started = started,
                facts = Request{.method = request.method,
                                .target = request.target,
                                .remote_address = request.remote_address}](Response response) {
          response.headers.emplace_back("X-Request-Id", request_id);
          observer.observe(listener, facts, &response, std::chrono::steady_clock::now() - started,
                           request_id);
          send(std::move(response));
        };
      }
      RequestObserver& observer;
      const std::string& listener;
      const std::string& request_id;
      std::chrono::steady_clock::time_point started;
      const Request& request;
    };
    const ObserveLater observe_later(*this, listener, request_id, started, request);
    Response response;
    try {
      response = inner(request);
    } catch (...) {
      // The server answers 500 for whatever escapes a handler.
      observe(listener, request, nullptr, std::chrono::steady_clock::now() - started, request_id);
      throw;
    }
    if (const auto* point = current_deferral_point(); point && point->taken) return response;
    response.headers.emplace_back("X-Request-Id", request_id);
    observe(listener, request, &response, std::chrono::steady_clock::now() - started, request_id);
    return response;
  };
}

// to_chars, not snprintf: the format string's interpretation was 1% of a source read (perf).
std::string RequestObserver::next_request_id() {
  std::array<char, 24> sequence{};
  const auto end = std::to_chars(sequence.data(), sequence.data() + sequence.size(),
                                 sequence_.fetch_add(1) + 1, 16)
                       .ptr;
  std::string id;
  id.reserve(id_prefix_.size() + 1 + static_cast<std::size_t>(end - sequence.data()));
  id += id_prefix_;
  id += '-';
  id.append(sequence.data(), end);
  return id;
}

void RequestObserver::observe(const std::string& listener, const Request& request,
                              const Response* response, std::chrono::steady_clock::duration took,
                              const std::string& request_id) {
  const int status = response ? response->status : 500;
  const std::string_view route =
      response && !response->route.empty() ? std::string_view(response->route) : kUnmatchedRoute;
  const std::string status_text = std::to_string(status);
  requests_.labels({listener, route, method_label(request.method), status_text}).inc();
  durations_.labels({listener, route}).observe(std::chrono::duration<double>(took).count());
  if (!access_log_) return;
  access_log_(format_access_log({
      .time = std::chrono::system_clock::now(),
      .listener = listener,
      .remote_address = request.remote_address,
      .method = request.method,
      .route = route,
      .path = request.path(),
      .status = status,
      .bytes = response ? response->body.size() : 0,
      .duration = std::chrono::duration_cast<std::chrono::nanoseconds>(took),
      .partner_id = response ? response->principal_id : std::nullopt,
      .request_id = request_id,
  }));
}

}  // namespace callsight::http
