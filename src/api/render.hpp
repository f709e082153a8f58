#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/utf8.hpp"
#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "http/response.hpp"
#include "store/store.hpp"

namespace callsight::api {

// Ordered, so objects keep the field order of the reference (customer_id first). Bodies are
// written with to_json_text: a stored row that is not UTF-8 shows U+FFFD, never a 500.
using Json = nlohmann::ordered_json;

// The wire renders every scalar as a string and absent values as null.
inline Json str(std::int64_t value) { return std::to_string(value); }
inline Json str(const std::string& value) { return value; }
inline Json str_or_null(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json();
}
inline Json str_or_null(const std::optional<std::int64_t>& value) {
  return value ? str(*value) : Json();
}
inline Json time_or_null(const std::optional<TimePoint>& time) {
  return time ? Json(format_utc(*time)) : Json();
}

// Whether `text` is written as a JSON string by putting it between quotes, the bytes
// to_json_text writes for it: valid UTF-8 without quotes, backslashes or control characters.
// Bodies written without building a Json tree (JsonWriter) copy such text and dump any other
// (escapes, U+FFFD for bytes that are not UTF-8).
bool needs_no_escaping(std::string_view text);

// {"<key>":[object]}
http::Response one(std::string_view key, Json object);
// {"<key>":[...], "total","page","pagesize","numpages"}
http::Response list(std::string_view key, Json items, std::int64_t total, const PageRequest& page);

}  // namespace callsight::api
