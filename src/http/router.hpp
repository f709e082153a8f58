#pragma once

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
    for (const auto& segment : segments) canonical += "/" + segment;
    Route route{std::move(segments), canonical.empty() ? "/" : std::move(canonical), {}};
    route.handlers.emplace(std::move(method), std::move(handler));
    routes_.push_back(std::move(route));
  }

  // The most specific route (fewest captures) wins whatever the registration order:
  // "/customers/callbacks" must not be read as "/customers/{customer_id}".
  Match match(std::string_view method, std::string_view path) const {
    const auto segments = path_segments(path);
    const Route* best = nullptr;
    std::vector<PathValue> best_values;
    for (const auto& route : routes_) {
      std::vector<PathValue> values;
      if (!matches(route.segments, segments, values)) continue;
      if (best == nullptr || values.size() < best_values.size()) {
        best = &route;
        best_values = std::move(values);
      }
    }
    Match result;
    if (best == nullptr) return result;
    if (const auto it = best->handlers.find(std::string(method)); it != best->handlers.end()) {
      return Match{&it->second, std::move(best_values), {}, best->pattern};
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
    std::vector<std::string> segments;
    std::string pattern;
    std::map<std::string, Handler> handlers;
  };

  static bool matches(const std::vector<std::string>& pattern,
                      const std::vector<std::string>& segments, std::vector<PathValue>& values) {
    if (pattern.size() != segments.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      const auto& p = pattern[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        values.push_back({p.substr(1, p.size() - 2), segments[i]});
      } else if (p != segments[i]) {
        return false;
      }
    }
    return true;
  }

  std::vector<Route> routes_;
};

}  // namespace callsight::http
