#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

namespace callsight::http {

// One byte range of a body, both ends included.
struct ByteRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
};

// A Range header the server cannot satisfy (RFC 9110 §14.1.2): 416 with
// Content-Range: bytes */<size>.
struct UnsatisfiableRange {};

// What a Range header asks of a body of `size` bytes: nullopt when the whole body is to be
// sent (no header, another unit, several ranges or a header that does not parse, which RFC
// 9110 lets a server ignore), a ByteRange clipped to the body, or UnsatisfiableRange. A
// browser's <audio> seeks with "bytes=N-"; "bytes=-N" asks for the last N bytes.
std::optional<std::variant<ByteRange, UnsatisfiableRange>> parse_byte_range(
    std::optional<std::string_view> header, std::int64_t size);

}  // namespace callsight::http
