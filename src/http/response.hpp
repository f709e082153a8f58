#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace callsight::http {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. challenges
  std::string body;

  // Never sent; what metrics and the access log say about the request: the route pattern
  // that served it (empty when none matched) and who it was authenticated as.
  std::string route;
  std::optional<std::int64_t> principal_id;
};

}  // namespace callsight::http
