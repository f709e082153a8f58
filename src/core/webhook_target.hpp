#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace callsight {

// Where a webhook URL points, as the API checks it and the dispatcher connects to it.
struct WebhookTarget {
  bool tls = false;         // https
  std::string host;         // lower case; no brackets, IPv6 zone or trailing dot
  std::uint16_t port = 80;  // 443 for https unless given
  std::string path = "/";   // path and query, without the fragment
  std::string userinfo;     // "user:password" as written in the URL (sent as Basic auth)
};

// An http:// or https:// URL with a host and an optional port 1..65535; nullopt for
// anything else (other schemes, spaces or control characters, a bad port or IPv6 literal).
std::optional<WebhookTarget> parse_webhook_url(std::string_view url);

// Targets the platform must not be turned against unless the operator allows them: an API
// client could otherwise probe the operator's internal network.
// "localhost" and every *.localhost name (RFC 6761), whatever a resolver says.
bool is_local_host_name(std::string_view host);
// Loopback, private, link-local (incl. cloud metadata) and unspecified addresses, IPv4 and
// IPv6; 0.0.0.0/8 and :: because connecting to them reaches the local host on Linux.
bool is_private_address(std::string_view address);
// "2130706433", "127.1" or "0x7f.0.0.1": IPv4 addresses to the resolver (inet_aton) but not
// to inet_pton, refused so that no spelling slips past is_private_address.
bool is_ambiguous_numeric_host(std::string_view host);

}  // namespace callsight
