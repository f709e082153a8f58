#include "api/render.hpp"

#include <cstdint>
#include <cstring>

namespace callsight::api {

namespace {

constexpr std::uint64_t kEachByte = 0x0101010101010101;
constexpr std::uint64_t kHighBits = 0x8080808080808080;

// Whether any of the eight bytes of `word` is below 0x20, a quote, a backslash or not ASCII,
// without looking at them one by one (the bytes below 0x80 are tested by their high bit
// after a subtraction that cannot borrow across them, the others by their own high bit).
bool any_byte_to_look_at(std::uint64_t word) {
  const auto zero_byte = [](std::uint64_t v) { return (v - kEachByte) & ~v & kHighBits; };
  const auto below_space = (word - 0x20 * kEachByte) & ~word & kHighBits;
  return ((word & kHighBits) | below_space | zero_byte(word ^ ('"' * kEachByte)) |
          zero_byte(word ^ ('\\' * kEachByte))) != 0;
}

}  // namespace

bool needs_no_escaping(std::string_view text) {
  // Eight bytes at a time while they are plain ASCII: this check runs over every text of a
  // CDR page (bench/README.md, "CDR pages written through a pointer").
  std::size_t at = 0;
  for (; at + 8 <= text.size(); at += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + at, sizeof word);
    if (any_byte_to_look_at(word)) break;
  }
  bool ascii = true;
  for (const char c : text.substr(at)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || c == '"' || c == '\\') return false;
    if (byte >= 0x80) ascii = false;
  }
  return ascii || utf8::is_valid(text);
}

http::Response one(std::string_view key, Json object) {
  Json body;
  body[std::string(key)] = Json::array({std::move(object)});
  return http::Response{200, "application/json", {}, to_json_text(body)};
}

http::Response list(std::string_view key, Json items, std::int64_t total, const PageRequest& page) {
  const std::int64_t numpages = (total + page.pagesize - 1) / page.pagesize;
  Json body;
  body[std::string(key)] = std::move(items);
  body["total"] = str(total);
  body["page"] = str(page.page);
  body["pagesize"] = str(page.pagesize);
  body["numpages"] = str(numpages);
  return http::Response{200, "application/json", {}, to_json_text(body)};
}

}  // namespace callsight::api
