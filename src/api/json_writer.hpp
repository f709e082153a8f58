#pragma once

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
// no escaping (valid UTF-8 without quotes, backslashes or control characters, as nearly every
// value is) is copied; any other goes through the same dump (append_json_text). Numbers,
// flags, times, digests and status names are ASCII that never needs escaping, so they are
// written without that check and without a string of their own.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin() {
    out_ += '{';
    first_ = true;
  }
  void end() { out_ += '}'; }
  // A value was written outside a field (the list before "total"): the next field needs a comma.
  void after_value() { first_ = false; }
  // A field whose value is JSON text written elsewhere (the alternative-number rules).
  void raw(std::string_view name, std::string_view json) {
    key(name);
    flush();
    out_.append(json);
  }
  void text(std::string_view name, std::string_view value) {
    key(name);
    flush();
    append_json_text(out_, value);
  }
  void null(std::string_view name) {
    key(name);
    put("null");
    flush();
  }
  // The wire renders every number as a string.
  void number(std::string_view name, std::int64_t value) {
    key(name);
    put('"');
    used_ = static_cast<std::size_t>(
        std::to_chars(piece_ + used_, piece_ + sizeof piece_, value).ptr - piece_);
    put('"');
    flush();
  }
  void flag(std::string_view name, bool value) {
    key(name);
    put(value ? "\"1\"" : "\"0\"");
    flush();
  }
  // Lower-case hex of the bytes.
  void hex(std::string_view name, std::span<const unsigned char> bytes) {
    key(name);
    put('"');
    flush();
    append_hex(out_, bytes);
    out_ += '"';
  }
  // Text known to need no escaping: the status names.
  void ascii(std::string_view name, std::string_view value) {
    key(name);
    put('"');
    put(value);
    put('"');
    flush();
  }
  void time(std::string_view name, TimePoint value) {
    key(name);
    put('"');
    flush();
    append_utc(out_, value);
    out_ += '"';
  }
  void text_or_null(std::string_view name, const std::optional<std::string>& value) {
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
  // A field's name and a short value are put together in piece_ and appended at once: a
  // string append per comma, quote and colon (each checking the capacity) was a tenth of a
  // 1000-row page in perf.
  void key(std::string_view name) {
    if (!first_) put(',');
    first_ = false;
    put('"');
    put(name);  // the field names are plain ASCII
    put("\":");
  }
  void put(char c) {
    if (used_ == sizeof piece_) flush();
    piece_[used_++] = c;
  }
  void put(std::string_view text) {
    if (text.size() > sizeof piece_ - used_) {
      flush();
      out_.append(text);
      return;
    }
    std::memcpy(piece_ + used_, text.data(), text.size());
    used_ += text.size();
  }
  void flush() {
    out_.append(piece_, used_);
    used_ = 0;
  }

  std::string& out_;
  bool first_ = true;
  // Room for a name and a number with their punctuation (to_chars needs 20 for any int64).
  char piece_[96];
  std::size_t used_ = 0;
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
  std::string body;
  body.reserve(items.size() * bytes_each + key.size() + 96);
  body += "{\"";
  body.append(key);
  body += "\":[";
  JsonWriter out(body);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) body += ',';
    write_one(out, items[i]);
  }
  body += ']';
  if (totals) {
    out.after_value();
    const auto& page = totals->page;
    out.number("total", totals->total);
    out.number("page", page.page);
    out.number("pagesize", page.pagesize);
    out.number("numpages", (totals->total + page.pagesize - 1) / page.pagesize);
  }
  body += '}';
  return http::Response{200, "application/json", {}, std::move(body)};
}

}  // namespace callsight::api
