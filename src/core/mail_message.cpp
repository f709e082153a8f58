#include "core/mail_message.hpp"

#include <date/date.h>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "common/base64.hpp"
#include "common/utf8.hpp"

namespace callsight {
namespace {

// RFC 5322 atext.
bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(c) != std::string_view::npos;
}

// Atoms joined by single dots, none empty.
bool is_dot_atom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = 0;
  for (const char c : text) {
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

bool is_domain(std::string_view domain) {
  if (domain.size() > 253 || domain.find('.') == std::string_view::npos) return false;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i < domain.size() && domain[i] != '.') {
      const char c = domain[i];
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
      continue;
    }
    const auto label = domain.substr(label_start, i - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    label_start = i + 1;
  }
  return true;
}

// Control characters (C0, DEL) become spaces; invalid UTF-8 becomes U+FFFD.
std::string one_line(std::string_view text) {
  std::string out = utf8::sanitize(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

bool is_plain_header_text(std::string_view text) {
  // Long values are folded by the encoded-word path; a plain one must fit a header line.
  if (text.size() > 900 || text.find("=?") != std::string_view::npos) return false;
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// The length of the UTF-8 sequence a lead byte starts (the text is valid UTF-8).
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  return 2;
}

constexpr std::array<char, 16> kHexDigits = {'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};

std::string hex_escape(unsigned char c) { return {'=', kHexDigits[c >> 4], kHexDigits[c & 0x0f]}; }

void append_qp_line(std::string& out, std::string_view line) {
  constexpr std::size_t kMaxLine = 76;  // RFC 2045 §6.7, the soft break's '=' included
  std::size_t column = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    // Spaces and tabs stay as they are inside a line; at its end a relay could strip them.
    const bool literal = (c >= 0x21 && c <= 0x7e && c != '=') || ((c == ' ' || c == '\t') && !last);
    std::string token = literal ? std::string(1, static_cast<char>(c)) : hex_escape(c);
    // A token never goes past the soft break's '=' column: the '=' needs the last place.
    const std::size_t room = last ? kMaxLine : kMaxLine - 1;
    if (column + token.size() > room) {
      out += "=\r\n";
      column = 0;
    }
    if (column == 0 && token == ".") token = hex_escape('.');
    out += token;
    column += token.size();
  }
  out += "\r\n";
}

}  // namespace

bool is_mail_address(std::string_view address) {
  if (address.size() > 254) return false;
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return false;
  const auto local = address.substr(0, at);
  return local.size() <= 64 && is_dot_atom(local) && is_domain(address.substr(at + 1));
}

std::string_view mail_domain(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

bool is_message_id(std::string_view id) {
  const auto at = id.find('@');
  return at != std::string_view::npos && id.size() <= 250 && is_dot_atom(id.substr(0, at)) &&
         is_dot_atom(id.substr(at + 1));
}

std::string encode_header_text(std::string_view text) {
  const std::string clean = one_line(text);
  if (is_plain_header_text(clean)) return clean;
  // 39 bytes make 52 base64 characters: "Subject: " and one word stay within 78 columns.
  constexpr std::size_t kBytesPerWord = 39;
  std::string out;
  std::size_t at = 0;
  while (at < clean.size()) {
    std::size_t end = at;
    while (end < clean.size()) {
      const auto next = end + sequence_length(static_cast<unsigned char>(clean[end]));
      if (next - at > kBytesPerWord) break;
      end = next;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + encode_base64(std::string_view(clean).substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

std::string encode_quoted_printable(std::string_view text) {
  const std::string clean = utf8::sanitize(text);
  std::string out;
  std::size_t at = 0;
  while (at <= clean.size()) {
    auto end = clean.find('\n', at);
    if (end == std::string::npos) end = clean.size();
    std::string_view line = std::string_view(clean).substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Text ending with a line break has no empty line after it.
    if (end == clean.size() && line.empty() && at > 0) break;
    append_qp_line(out, line);
    at = end + 1;
  }
  return out;
}

std::string format_mail_date(TimePoint t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const date::weekday weekday{day};
  const date::hh_mm_ss time{t - day};
  char out[64];
  const int size = std::snprintf(
      out, sizeof out, "%s, %02u %s %04d %02d:%02d:%02d +0000", kDays[weekday.c_encoding()],
      static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
      static_cast<int>(ymd.year()), static_cast<int>(time.hours().count()),
      static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return std::string(out, static_cast<std::size_t>(size));
}

std::string render_mail(const MailMessage& message) {
  if (!is_mail_address(message.from)) throw std::invalid_argument("from is not a mail address");
  if (!is_mail_address(message.to)) throw std::invalid_argument("to is not a mail address");
  if (!is_message_id(message.message_id)) {
    throw std::invalid_argument("message_id is not a message id");
  }
  std::string out;
  out += "Date: " + format_mail_date(message.date) + "\r\n";
  out += "From: <" + message.from + ">\r\n";
  out += "To: <" + message.to + ">\r\n";
  out += "Subject: " + encode_header_text(message.subject) + "\r\n";
  out += "Message-ID: <" + message.message_id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  // RFC 3834: a notification, so vacation responders do not answer it.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  out += encode_quoted_printable(message.body);
  return out;
}

}  // namespace callsight
