#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "api/render.hpp"
#include "common/hex.hpp"
#include "core/clock.hpp"
#include "core/time_format.hpp"

namespace callsight::api {

// Writes JSON objects field by field straight into a body, rather than building an
// nlohmann::ordered_json and dumping it: building, dumping and freeing the tree was most of a
// CDR listing's CPU and half of a source read's (bench/README.md, "Profile of the CDR listing"
// and "The source read"). The bytes are what that dump wrote (to_json_text): text that needs
// no escaping (needs_no_escaping, as nearly every value is) is copied; any other goes through
// the same dump. Numbers, flags, times, digests and status names are ASCII that never needs
// escaping, so they are written without that check.
//
// The body is a buffer with room past what is written: each field makes room for itself once
// and is written through a pointer. A std::string append per piece (its capacity checked and
// its terminator written each time) was a fifth of a 1000-row CDR page (bench/README.md, "CDR
// pages written through a pointer").
class JsonWriter {
 public:
  explicit JsonWriter(std::size_t expected_bytes = 0) { grow(expected_bytes); }

  // The body written so far; the writer is empty afterwards.
  std::string take() {
    body_.resize(written());
    std::string body = std::move(body_);
    body_.clear();
    at_ = end_ = nullptr;
    return body;
  }

  // JSON text put as it is, outside any field: a list's brackets and commas.
  void literal(std::string_view json) {
    room(json.size());
    copy(json);
  }
  void begin() {
    room(1);
    *at_++ = '{';
    first_ = true;
  }
  void end() { literal("}"); }
  // A value was written outside a field (the list before "total"): the next field needs a comma.
  void after_value() { first_ = false; }
  // A field whose value is JSON text written elsewhere (the alternative-number rules).
  void raw(std::string_view name, std::string_view json) {
    key(name, json.size());
    copy(json);
  }
  void text(std::string_view name, std::string_view value) {
    if (!needs_no_escaping(value)) return raw(name, to_json_text(Json(std::string(value))));
    key(name, value.size() + 2);
    quoted(value);
  }
  void null(std::string_view name) {
    key(name, 4);
    copy("null");
  }
  // The wire renders every number as a string.
  void number(std::string_view name, std::int64_t value) {
    constexpr std::size_t kLongestInt64 = 20;
    key(name, kLongestInt64 + 2);
    *at_++ = '"';
    at_ = std::to_chars(at_, end_, value).ptr;
    *at_++ = '"';
  }
  void flag(std::string_view name, bool value) {
    key(name, 3);
    copy(value ? "\"1\"" : "\"0\"");
  }
  // Lower-case hex of the bytes.
  void hex(std::string_view name, std::span<const unsigned char> bytes) {
    key(name, 2 * bytes.size() + 2);
    *at_++ = '"';
    write_hex(at_, bytes);
    at_ += 2 * bytes.size();
    *at_++ = '"';
  }
  // Text known to need no escaping: the status names.
  void ascii(std::string_view name, std::string_view value) {
    key(name, value.size() + 2);
    quoted(value);
  }
  void time(std::string_view name, TimePoint value) {
    char utc[kUtcLength];
    if (!write_utc(utc, value)) return text(name, format_utc(value));
    key(name, kUtcLength + 2);
    quoted({utc, kUtcLength});
  }
  void text_or_null(std::string_view name, std::optional<std::string_view> value) {
    if (value) {
      text(name, *value);
    } else {
      null(name);
    }
  }
  void number_or_null(std::string_view name, const std::optional<std::int64_t>& value) {
    if (value) {
      number(name, *value);
    } else {
      null(name);
    }
  }
  void time_or_null(std::string_view name, const std::optional<TimePoint>& value) {
    if (value) {
      time(name, *value);
    } else {
      null(name);
    }
  }

 private:
  // The comma before all but an object's first field, the name (plain ASCII) and its colon,
  // with room for a value of value_bytes after them.
  void key(std::string_view name, std::size_t value_bytes) {
    room(name.size() + value_bytes + 4);
    if (!first_) *at_++ = ',';
    first_ = false;
    *at_++ = '"';
    copy(name);
    *at_++ = '"';
    *at_++ = ':';
  }
  void quoted(std::string_view text) {
    *at_++ = '"';
    copy(text);
    *at_++ = '"';
  }
  // Callers made room first.
  void copy(std::string_view text) {
    std::memcpy(at_, text.data(), text.size());
    at_ += text.size();
  }
  void room(std::size_t bytes) {
    if (static_cast<std::size_t>(end_ - at_) < bytes) grow(bytes);
  }
  std::size_t written() const {
    return at_ == nullptr ? 0 : static_cast<std::size_t>(at_ - body_.data());
  }
  void grow(std::size_t bytes) {
    constexpr std::size_t kLeast = 256;
    const auto used = written();
    body_.resize(std::max({2 * body_.size(), used + bytes, kLeast}));
    at_ = body_.data() + used;
    end_ = body_.data() + body_.size();
  }

  std::string body_;  // written up to at_, room from there to end_
  char* at_ = nullptr;
  char* end_ = nullptr;
  bool first_ = true;
};

// The page a list answer comes from and how many objects match in all.
struct ListTotals {
  std::int64_t total = 0;
  PageRequest page;
};

// {"<key>":[...]} with, for a list, "total", "page", "pagesize" and "numpages": the bytes one()
// and list() write, with each object written by write_one(JsonWriter&, const T&) straight into
// the body. bytes_each sizes the body once.
template <class T, class WriteOne>
http::Response render_objects(std::string_view key, std::span<const T> items,
                              std::optional<ListTotals> totals, std::size_t bytes_each,
                              WriteOne&& write_one) {
  JsonWriter out(items.size() * bytes_each + key.size() + 96);
  out.literal("{\"");
  out.literal(key);
  out.literal("\":[");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.literal(",");
    write_one(out, items[i]);
  }
  out.literal("]");
  if (totals) {
    out.after_value();
    const auto& page = totals->page;
    out.number("total", totals->total);
    out.number("page", page.page);
    out.number("pagesize", page.pagesize);
    out.number("numpages", (totals->total + page.pagesize - 1) / page.pagesize);
  }
  out.end();
  return http::Response{200, "application/json", {}, out.take()};
}

}  // namespace callsight::api
