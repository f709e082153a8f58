#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace callsight::app {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

// "HOST:PORT", "[v6]:PORT"; throws std::invalid_argument naming what is wrong.
ListenAddress parse_listen_address(std::string_view text);

}  // namespace callsight::app
