#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace callsight {

// One customer's list is read whole on every routed call and written whole on every PUT, so
// it is bounded; 10000 E.164 numbers fit well inside the 1 MiB request body limit.
inline constexpr std::size_t kBlacklistMaxNumbers = 10000;

// index is the offending entry of the array, -1 when the document as a whole is wrong (not
// JSON, not an array, too many entries). message names the place ("phonenrs[2]: ...").
struct BlacklistError {
  int index = -1;
  std::string message;
};

// The wire phonenrs value (reference §2.7): a JSON array of E.164 numbers as strings.
// Every entry is normalised (separators dropped); duplicates collapse to their first
// occurrence, so the result keeps the order given. "[]" is the empty list.
std::variant<std::vector<std::string>, BlacklistError> parse_blacklist(std::string_view json_text);

}  // namespace callsight
