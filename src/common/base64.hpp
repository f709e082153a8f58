#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace callsight {

// RFC 4648 base64 with padding. decode_base64 refuses anything else (nullopt).
std::string encode_base64(std::string_view bytes);
std::optional<std::string> decode_base64(std::string_view text);

// RFC 4648 §5 base64url ('-' and '_' for '+' and '/') without '=' padding, what browser
// scripts put in URL paths. Refuses padding, the standard alphabet's '+' and '/', and lengths
// no encoding yields (nullopt).
std::optional<std::string> decode_base64url_unpadded(std::string_view text);

}  // namespace callsight
