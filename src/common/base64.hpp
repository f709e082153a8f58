#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace callsight {

// RFC 4648 base64 with padding. decode_base64 refuses anything else (nullopt).
std::string encode_base64(std::string_view bytes);
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace callsight
