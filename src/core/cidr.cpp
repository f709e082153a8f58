#include "core/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace callsight {
namespace {

// Longest textual IPv6 address (with embedded IPv4) is 45 characters.
constexpr std::size_t kMaxAddressLength = 45;
constexpr int kMappedPrefixBits = 96;

struct Address {
  bool v4 = false;
  std::array<unsigned char, 16> bytes{};  // IPv4 uses the first 4

  int bits() const { return v4 ? 32 : 128; }
};

struct Block {
  Address base;
  int prefix = 0;
};

bool is_v4_mapped(const std::array<unsigned char, 16>& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

Address unmap(Address a) {
  if (a.v4 || !is_v4_mapped(a.bytes)) return a;
  Address v4;
  v4.v4 = true;
  for (int i = 0; i < 4; ++i) v4.bytes[i] = a.bytes[12 + i];
  return v4;
}

std::optional<Address> parse_address(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressLength) return std::nullopt;
  const std::string terminated(text);
  Address a;
  if (inet_pton(AF_INET, terminated.c_str(), a.bytes.data()) == 1) {
    a.v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, terminated.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

std::optional<int> parse_prefix(std::string_view text, int max_bits) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0 || value > max_bits) return std::nullopt;
  return value;
}

std::optional<Block> parse_block(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  Block block{*address, address->bits()};
  if (slash != std::string_view::npos) {
    const auto prefix = parse_prefix(text.substr(slash + 1), address->bits());
    if (!prefix) return std::nullopt;
    block.prefix = *prefix;
  }
  // ::ffff:10.0.0.0/104 names the same addresses as 10.0.0.0/8.
  if (!block.base.v4 && block.prefix >= kMappedPrefixBits && is_v4_mapped(block.base.bytes)) {
    block.base = unmap(block.base);
    block.prefix -= kMappedPrefixBits;
  }
  return block;
}

bool contains(const Block& block, const Address& address) {
  if (block.base.v4 != address.v4) return false;
  const int whole_bytes = block.prefix / 8;
  for (int i = 0; i < whole_bytes; ++i) {
    if (block.base.bytes[i] != address.bytes[i]) return false;
  }
  const int rest = block.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (block.base.bytes[whole_bytes] & mask) == (address.bytes[whole_bytes] & mask);
}

constexpr int kSubscriberPrefixBytes = 8;  // an IPv6 /64
constexpr int kAnonymizedV4Bytes = 3;      // an IPv4 /24
constexpr int kAnonymizedV6Bytes = 6;      // an IPv6 /48

// The address with every byte from `kept` on zeroed, as text.
std::string network_text(Address network, int kept) {
  std::fill(network.bytes.begin() + kept, network.bytes.end(), 0);
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(network.v4 ? AF_INET : AF_INET6, network.bytes.data(), text, sizeof text);
  return text;
}

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool is_valid_cidr(std::string_view cidr) { return parse_block(cidr).has_value(); }

bool address_in_cidrs(std::string_view address, const std::vector<std::string>& cidrs) {
  const auto parsed = parse_address(address);
  if (!parsed) return false;
  const auto candidate = unmap(*parsed);
  for (const auto& cidr : cidrs) {
    const auto block = parse_block(cidr);
    if (block && contains(*block, candidate)) return true;
  }
  return false;
}

std::string client_network(std::string_view address) {
  const auto parsed = parse_address(address);
  if (!parsed) return std::string(address);
  const auto network = unmap(*parsed);
  if (network.v4) return network_text(network, 4);
  return network_text(network, kSubscriberPrefixBytes) + "/64";
}

std::optional<std::string> anonymized_address(std::string_view address) {
  const auto parsed = parse_address(address);
  if (!parsed) return std::nullopt;
  const auto network = unmap(*parsed);
  return network_text(network, network.v4 ? kAnonymizedV4Bytes : kAnonymizedV6Bytes);
}

std::string forwarded_client(std::string_view peer, std::string_view forwarded_for,
                             const std::vector<std::string>& trusted_proxies) {
  std::string client(peer);
  while (!forwarded_for.empty() && address_in_cidrs(client, trusted_proxies)) {
    const auto comma = forwarded_for.rfind(',');
    const auto entry = trim_spaces(
        comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    if (!parse_address(entry)) break;
    client = std::string(entry);
    forwarded_for =
        comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
  }
  return client;
}

}  // namespace callsight
