#pragma once

#include <string>
#include <utility>
#include <vector>

namespace callsight::http {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. challenges
  std::string body;
};

}  // namespace callsight::http
