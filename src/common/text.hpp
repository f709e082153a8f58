#pragma once

#include <string>
#include <string_view>

namespace callsight {

// ASCII case mapping for protocol text (header names, schemes, host names, hex digests,
// keywords): other bytes pass unchanged, whatever the process locale.
std::string ascii_lower(std::string_view text);
std::string ascii_upper(std::string_view text);
bool ascii_iequals(std::string_view a, std::string_view b);
// A character of an identifier or keyword: ASCII letter, digit or underscore.
bool is_ascii_word_char(char c);

}  // namespace callsight
