#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace callsight::media {

// One side of a UDP flow: an IPv4 or IPv6 address and a port. IPv4 addresses use the first four
// bytes of `address`.
struct Endpoint {
  std::array<std::uint8_t, 16> address{};
  bool ipv6 = false;
  std::uint16_t port = 0;

  bool operator==(const Endpoint&) const = default;
  bool same_address(const Endpoint& other) const {
    return ipv6 == other.ipv6 && address == other.address;
  }
};

// "192.0.2.1:4000", "[2001:db8::1]:4000"; a port of 0 stands for any port. Nothing for any other
// text.
std::optional<Endpoint> parse_endpoint(std::string_view text);

// The inverse of parse_endpoint.
std::string to_string(const Endpoint& endpoint);

}  // namespace callsight::media
