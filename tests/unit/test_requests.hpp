// Requests as the server would hand them to a handler, for tests of the http layer.
#pragma once

#include <string>
#include <utility>

#include "http/request.hpp"

namespace callsight::http {

inline Request get_request(std::string target, std::string remote = "127.0.0.1") {
  Request request;
  request.method = "GET";
  request.target = std::move(target);
  request.remote_address = std::move(remote);
  return request;
}

}  // namespace callsight::http
