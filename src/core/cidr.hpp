#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callsight {

// An IPv4 or IPv6 address ("10.1.2.3", "::1") or a CIDR block ("10.0.0.0/8", "2001:db8::/32").
// Host bits below the prefix are ignored, as most firewalls do: "10.0.0.1/8" is 10.0.0.0/8.
bool is_valid_cidr(std::string_view cidr);

// Whether the address lies in any of the blocks; invalid blocks never match. IPv4-mapped IPv6
// addresses (::ffff:1.2.3.4, what a dual-stack socket reports) match IPv4 blocks.
bool address_in_cidrs(std::string_view address, const std::vector<std::string>& cidrs);

// The network a client address is held to account as, for per-client limits: an IPv4 address
// itself ("10.1.2.3"), an IPv6 address's /64 ("2001:db8:1:2::/64"), since one subscriber
// usually holds a whole /64. Anything unparsable is returned unchanged.
std::string client_network(std::string_view address);

// An address as kept with a web visit, no longer naming one subscriber: IPv4 with its last
// octet zeroed ("10.1.2.3" -> "10.1.2.0"), IPv6 cut to its /48 ("2001:db8:1::"), an IPv4-mapped
// address as IPv4. Nullopt when unparsable, so nothing unchecked is stored.
std::optional<std::string> anonymized_address(std::string_view address);

// The client's address when requests come through proxies that append to X-Forwarded-For:
// starting from the TCP peer, steps right to left through `forwarded_for` (the header's
// comma-separated list) while the current hop is one of the trusted proxies, and returns the
// first address no trusted proxy vouches for. Entries left of it are the client's own claims
// and ignored; a malformed entry ends the walk at the hop that passed it on.
std::string forwarded_client(std::string_view peer, std::string_view forwarded_for,
                             const std::vector<std::string>& trusted_proxies);

}  // namespace callsight
