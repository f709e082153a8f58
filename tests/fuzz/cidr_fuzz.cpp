// The allowed_cidrs of API users and the peer addresses they are matched with.
// Input: comma-separated blocks on the first line, an address after it.
#include <string>
#include <vector>

#include "core/cidr.hpp"
#include "fuzz_target.hpp"

CALLSIGHT_FUZZ_TARGET(cidr) {
  using namespace callsight;
  const auto [blocks_text, address] = fuzz::split_line(input);
  std::vector<std::string> blocks;
  for (std::string_view rest = blocks_text; !rest.empty();) {
    const auto comma = rest.find(',');
    blocks.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  for (const auto& block : blocks) is_valid_cidr(block);
  address_in_cidrs(address, blocks);
}
