#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace callsight {

// The wire form of every time: UTC "YYYY-MM-DD HH:MM:SS".
std::string format_utc(TimePoint t);
// The same text appended to `out`, without a string of its own.
void append_utc(std::string& out, TimePoint t);
// The same characters, kUtcLength of them, written at `out` for the years 0 to 9999 (a CDR
// listing writes four a row into its body); false, with nothing written, for any other year,
// which format_utc writes.
inline constexpr std::size_t kUtcLength = 19;
bool write_utc(char* out, TimePoint t);

// Parses "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (midnight) as UTC; nullopt when malformed
// or not a real calendar date.
std::optional<TimePoint> parse_utc(std::string_view text);

}  // namespace callsight
