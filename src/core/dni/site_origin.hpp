#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Which sites may ask for a pool's numbers. A browser names the page that asks in the `Origin`
// header of a CORS request ("https://shop.example") and in the `Referer` of a script or JSONP
// request ("https://shop.example/offers?x=1"); the pool lists its allowed origins in the first
// form, lower case (docs/api.md, /pools).
namespace callsight::dni {

// The origin of an absolute http(s) URL: scheme, "://" and the authority (without user info),
// lower case. None for anything else (a relative URL, another scheme, an empty host).
std::optional<std::string> origin_of_url(std::string_view url);

// Exact comparison with the pool's list: an origin is never allowed by a prefix or a suffix
// ("https://shop.example.evil" is not "https://shop.example"). An empty list allows nothing.
bool is_allowed_origin(std::string_view origin, const std::vector<std::string>& allowed);

}  // namespace callsight::dni
