#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callsight::http {

// Splits a path into segments, dropping an optional leading version segment ("/2.4.9/...")
// since every version is served the same.
std::vector<std::string> path_segments(std::string_view path);

struct PathValue {
  std::string name;
  std::string value;
};

// Maps (method, path pattern) to a handler. Patterns are segment lists where "{name}"
// captures a segment: "/customers/{customer_id}/blacklist". The router knows no resource;
// the handler type is the caller's.
template <class Handler>
class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;  // null: no route (see allowed_methods)
    std::vector<PathValue> path_values;
    std::vector<std::string> allowed_methods;  // non-empty when the path exists but not the method
    // The matched route's pattern ("/customers/{customer_id}"), empty when none matched
    // (valid while the router is unchanged): what metrics and logs name a request by, so ids
    // in paths do not multiply series.
    std::string_view pattern;

    // The value of a 405's Allow header: the path's methods, comma-separated.
    std::string allow() const {
      std::string joined;
      for (const auto& allowed : allowed_methods) joined += (joined.empty() ? "" : ", ") + allowed;
      return joined;
    }
  };

  void add(std::string method, std::string_view pattern, Handler handler) {
    auto segments = path_segments(pattern);
    for (auto& route : routes_) {
      if (route.segments == segments) {
        route.handlers.emplace(std::move(method), std::move(handler));
        return;
      }
    }
    std::string canonical;
    std::vector<bool> captures;
    for (const auto& segment : segments) {
      canonical += "/" + segment;
      captures.push_back(is_capture(segment));
    }
    Route route{std::move(segments),
                std::move(captures),
                canonical.empty() ? "/" : std::move(canonical),
                {}};
    route.capture_count =
        static_cast<std::size_t>(std::count(route.captures.begin(), route.captures.end(), true));
    route.handlers.emplace(std::move(method), std::move(handler));
    routes_.push_back(std::move(route));
  }

  // The most specific route (fewest captures) wins whatever the registration order:
  // "/customers/callbacks" must not be read as "/customers/{customer_id}".
  // Only the winner's captured values are copied out: every request is tried against every
  // route, and each candidate's captures were copied before (the router was 1.9% of an
  // authenticated ping's CPU in perf; bench/ab: 0.036 -> 0.035 ms per ping).
  Match match(std::string_view method, std::string_view path) const {
    const auto segments = path_segments(path);
    const Route* best = nullptr;
    for (const auto& route : routes_) {
      if (!fits(route, segments)) continue;
      if (best == nullptr || route.capture_count < best->capture_count) best = &route;
    }
    Match result;
    if (best == nullptr) return result;
    if (const auto it = best->handlers.find(method); it != best->handlers.end()) {
      return Match{&it->second, captured(*best, segments), {}, best->pattern};
    }
    result.pattern = best->pattern;
    for (const auto& [allowed, handler] : best->handlers) result.allowed_methods.push_back(allowed);
    return result;
  }

  // Every (method, pattern) pair, patterns written as registered: for listings and for tests
  // that must cover every route.
  std::vector<std::pair<std::string, std::string>> routes() const {
    std::vector<std::pair<std::string, std::string>> result;
    for (const auto& route : routes_) {
      std::string pattern;
      for (const auto& segment : route.segments) pattern += "/" + segment;
      for (const auto& [method, handler] : route.handlers) result.emplace_back(method, pattern);
    }
    return result;
  }

 private:
  struct Route {
    std::vector<std::string> segments;  // as registered: a capture is "{name}"
    std::vector<bool> captures;         // per segment: a capture
    std::string pattern;
    std::map<std::string, Handler, std::less<>> handlers;
    std::size_t capture_count = 0;
  };

  static bool is_capture(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
  }

  static bool fits(const Route& route, const std::vector<std::string>& segments) {
    if (route.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (!route.captures[i] && route.segments[i] != segments[i]) return false;
    }
    return true;
  }

  static std::vector<PathValue> captured(const Route& route,
                                         const std::vector<std::string>& segments) {
    std::vector<PathValue> values;
    values.reserve(route.capture_count);
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const auto& name = route.segments[i];
      if (route.captures[i]) values.push_back({name.substr(1, name.size() - 2), segments[i]});
    }
    return values;
  }

  std::vector<Route> routes_;
};

}  // namespace callsight::http
