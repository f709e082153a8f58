#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callsight::http {

// A request as handlers see it: no sockets, no Beast types, so handlers are testable alone.
struct Request {
  std::string method;  // upper case: GET, POST, PUT, DELETE, ...
  std::string target;  // as sent: path plus optional "?query"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;  // peer IP without port, e.g. "127.0.0.1" or "::1"

  std::string_view path() const;
  std::string_view query() const;  // without the '?'; empty when absent
  // First header with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

}  // namespace callsight::http
