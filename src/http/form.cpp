#include "http/form.hpp"

#include "core/hex.hpp"
#include "http/error.hpp"

namespace callsight::http {
namespace {

[[noreturn]] void malformed(std::string_view text) {
  throw HttpError{
      400,
      {{"malformed", "", "bad percent escape in '" + std::string(text.substr(0, 80)) + "'"}},
      {}};
}

}  // namespace

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      if (i + 2 >= text.size()) malformed(text);
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) malformed(text);
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

FormFields decode_form(std::string_view text) {
  FormFields fields;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      fields.emplace_back(url_decode(pair), "");
    } else {
      fields.emplace_back(url_decode(pair.substr(0, eq)), url_decode(pair.substr(eq + 1)));
    }
  }
  return fields;
}

}  // namespace callsight::http
