#include "http/form.hpp"

#include "common/hex.hpp"
#include "common/utf8.hpp"
#include "http/error.hpp"

namespace callsight::http {
namespace {

// Names the parameter, never quotes the text: it may be anything, even half a character.
// The name itself is shown sanitised, as it may not be UTF-8 either.
[[noreturn]] void malformed(std::string_view parameter) {
  const auto field = utf8::sanitize(parameter);
  const std::string where = field.empty() ? "" : " in '" + field + "'";
  throw HttpError{
      400, {{"malformed", field, "a '%' must be followed by two hex digits" + where}}, {}};
}

// `parameter` names the parameter whose value this is (empty for a name or a path).
std::string decode(std::string_view text, std::string_view parameter) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      if (i + 2 >= text.size()) malformed(parameter);
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) malformed(parameter);
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

}  // namespace

std::string url_decode(std::string_view text) { return decode(text, ""); }

FormFields decode_form(std::string_view text) {
  FormFields fields;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      fields.emplace_back(decode(pair, ""), "");
    } else {
      auto name = decode(pair.substr(0, eq), "");
      auto value = decode(pair.substr(eq + 1), name);
      fields.emplace_back(std::move(name), std::move(value));
    }
  }
  return fields;
}

}  // namespace callsight::http
