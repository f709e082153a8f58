#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace callsight {

std::string to_hex(const unsigned char* data, std::size_t size);  // lower case
// The same digits appended to `out`, without a string of their own.
void append_hex(std::string& out, std::span<const unsigned char> bytes);
// The same 2 * bytes.size() digits written at `out`.
void write_hex(char* out, std::span<const unsigned char> bytes);
int hex_value(char c);  // -1 when not a hex digit
bool is_hex(std::string_view text);
std::optional<std::vector<unsigned char>> from_hex(std::string_view hex);

}  // namespace callsight
