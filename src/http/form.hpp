#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callsight::http {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Decodes application/x-www-form-urlencoded text ('+' is a space). A '%' not followed by
// two hex digits throws HttpError 400 "malformed": guessing what the client meant could
// store something it never sent.
FormFields decode_form(std::string_view text);

std::string url_decode(std::string_view text);  // throws like decode_form

}  // namespace callsight::http
