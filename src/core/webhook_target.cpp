#include "core/webhook_target.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "common/text.hpp"
#include "core/cidr.hpp"

namespace callsight {
namespace {

const std::vector<std::string> kPrivateBlocks = {
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
    "0.0.0.0/8",   "::1/128",    "::/128",        "fc00::/7",       "fe80::/10"};

std::optional<std::uint16_t> parse_port(std::string_view text) {
  int port = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, port);
  if (text.empty() || ec != std::errc() || ptr != end || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

// Splits "host[:port]" or "[v6][:port]" into the host and what follows it.
bool split_host(std::string_view authority, std::string_view& host, std::string_view& rest) {
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
    host = host.substr(0, host.find('%'));  // the zone (fe80::1%25eth0) is no part of it
    return is_valid_cidr(host) && host.find('/') == std::string_view::npos;
  }
  const auto colon = authority.find(':');
  host = authority.substr(0, colon);
  rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  return true;
}

}  // namespace

std::optional<WebhookTarget> parse_webhook_url(std::string_view url) {
  if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
    return std::nullopt;
  }
  WebhookTarget target;
  const auto separator = url.find("://");
  if (separator == std::string_view::npos) return std::nullopt;
  const std::string scheme = ascii_lower(url.substr(0, separator));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  target.tls = scheme == "https";
  target.port = target.tls ? 443 : 80;
  std::string_view rest = url.substr(scheme.size() + 3);
  rest = rest.substr(0, rest.find('#'));
  const auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  const std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  target.path = path.starts_with('/') ? std::string(path) : "/" + std::string(path);
  // Credentials in the URL are allowed (receivers use Basic auth); the host follows them.
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    target.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  std::string_view host;
  std::string_view after_host;
  if (!split_host(authority, host, after_host)) return std::nullopt;
  if (host.ends_with('.')) host.remove_suffix(1);  // the root label: "localhost." is localhost
  if (host.empty()) return std::nullopt;
  target.host = ascii_lower(host);
  if (!after_host.empty()) {
    const auto port = after_host.front() == ':' ? parse_port(after_host.substr(1)) : std::nullopt;
    if (!port) return std::nullopt;
    target.port = *port;
  }
  return target;
}

bool is_local_host_name(std::string_view host) {
  const auto name = ascii_lower(host);
  return name == "localhost" || name.ends_with(".localhost");
}

bool is_private_address(std::string_view address) {
  return address_in_cidrs(address, kPrivateBlocks);
}

bool is_ambiguous_numeric_host(std::string_view host) {
  if (is_valid_cidr(host)) return false;
  std::size_t parts = 0;
  for (std::size_t start = 0; start <= host.size(); ++parts) {
    auto end = host.find('.', start);
    if (end == std::string_view::npos) end = host.size();
    const auto part = host.substr(start, end - start);
    const bool hex =
        part.starts_with("0x") &&
        std::all_of(part.begin() + 2, part.end(), [](unsigned char c) { return std::isxdigit(c); });
    const bool decimal =
        !part.empty() &&
        std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!hex && !decimal) return false;
    start = end + 1;
  }
  return parts <= 4;
}

}  // namespace callsight
