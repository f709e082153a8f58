#include "core/media/endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace callsight::media {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto host = text.substr(0, colon);
  const auto port = parse_port(text.substr(colon + 1));
  if (!port) return std::nullopt;
  Endpoint endpoint;
  endpoint.port = *port;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    endpoint.ipv6 = true;
    host = host.substr(1, host.size() - 2);
  }
  if (host.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string host_text(host);
  const int family = endpoint.ipv6 ? AF_INET6 : AF_INET;
  if (inet_pton(family, host_text.c_str(), endpoint.address.data()) != 1) return std::nullopt;
  return endpoint;
}

std::string to_string(const Endpoint& endpoint) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(endpoint.ipv6 ? AF_INET6 : AF_INET, endpoint.address.data(), text, sizeof text);
  const std::string host = endpoint.ipv6 ? "[" + std::string(text) + "]" : std::string(text);
  return host + ":" + std::to_string(endpoint.port);
}

}  // namespace callsight::media
