#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace callsight::utf8 {

// Well-formed UTF-8 as Unicode defines it: no overlong forms, no surrogates, nothing past
// U+10FFFF. Partners send text from any system, so every input is checked against this.
bool is_valid(std::string_view text);

// The text with each maximal ill-formed subsequence replaced by U+FFFD (Unicode's
// recommended practice), so that stored or received bytes can always be shown and stored.
std::string sanitize(std::string_view text);

// Code points in valid UTF-8; the documented length limits count these, not bytes.
std::size_t code_points(std::string_view valid_text);

// The first `count` code points of valid UTF-8: never cuts a character in half.
std::string_view first_code_points(std::string_view valid_text, std::size_t count);

}  // namespace callsight::utf8

namespace callsight {

// Serialises JSON without ever throwing on invalid UTF-8 in a string: such bytes become
// U+FFFD. Every answer, export line and webhook body is rendered through this, because a
// row written by an older version, an import or a direct edit must not stop a list.
std::string to_json_text(const nlohmann::json& value);
// The same for the ordered JSON the API and the export write (they keep the field order).
std::string to_json_text(const nlohmann::ordered_json& value);

}  // namespace callsight
