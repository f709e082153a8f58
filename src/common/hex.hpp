#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callsight {

std::string to_hex(const unsigned char* data, std::size_t size);  // lower case
int hex_value(char c);                                            // -1 when not a hex digit
bool is_hex(std::string_view text);
std::optional<std::vector<unsigned char>> from_hex(std::string_view hex);

}  // namespace callsight
