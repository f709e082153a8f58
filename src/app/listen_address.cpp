#include "app/listen_address.hpp"

#include <charconv>
#include <stdexcept>

namespace callsight::app {

ListenAddress parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw std::invalid_argument("listen address must be HOST:PORT, got '" + std::string(text) +
                                "'");
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [ptr, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      port > 65535) {
    throw std::invalid_argument("bad port in listen address '" + std::string(text) + "'");
  }
  return {std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace callsight::app
