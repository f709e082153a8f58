#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace callsight {

// One plain-text e-mail as it goes to the SMTP relay (RFC 5322, MIME). Every header value
// the message carries is built from these fields here, encoded so that no stored text can add
// a header or end the header block: the subject as RFC 2047 encoded words when it is not plain
// printable ASCII, the body as UTF-8 in quoted-printable, addresses checked by is_mail_address.
struct MailMessage {
  std::string from;        // an address only (is_mail_address)
  std::string to;          // an address only (is_mail_address)
  std::string subject;     // any text: invalid UTF-8 becomes U+FFFD, control characters spaces
  std::string body;        // any text: lines end at LF or CRLF; invalid UTF-8 becomes U+FFFD
  std::string message_id;  // "token@domain", without the angle brackets (is_message_id)
  TimePoint date;
};

// A plain ASCII address local@domain that SMTP can carry as it is: printable ASCII without
// spaces, quotes, angle brackets, commas or semicolons, one '@', a dotted domain. Stricter
// than RFC 5321 on purpose: what it refuses (quoted local parts, address literals, non-ASCII
// addresses, lists) is never sent rather than sent wrong.
bool is_mail_address(std::string_view address);

// The domain of an address (after its last '@'); empty when there is none.
std::string_view mail_domain(std::string_view address);

// A Message-ID's inside: dot-atoms on both sides of one '@'.
bool is_message_id(std::string_view id);

// The header value for `text` (a Subject's): as it is when it is printable ASCII that reads
// as no encoded word; otherwise RFC 2047 "=?UTF-8?B?...?=" words of at most 75 characters,
// split between characters, never inside one, folded with CRLF SP. Control characters (CR
// and LF included) become spaces first, so the value is always one logical header line.
std::string encode_header_text(std::string_view text);

// RFC 2045 quoted-printable of UTF-8 text: CRLF line ends, lines of at most 76 characters
// (soft breaks "=" CRLF), '=' and every byte outside printable ASCII as =XX, a space or tab
// before a line end encoded, and a '.' starting a line encoded too (=2E), so that no line of
// the body reads as the end of an SMTP DATA section even before dot-stuffing.
std::string encode_quoted_printable(std::string_view text);

// RFC 5322 date-time in UTC: "Sun, 06 Dec 2026 06:19:10 +0000".
std::string format_mail_date(TimePoint t);

// The whole message: headers (Date, From, To, Subject, Message-ID, MIME-Version,
// Content-Type, Content-Transfer-Encoding, Auto-Submitted), an empty line, the body; every
// line ends with CRLF and holds at most 78 characters but for a very long address. Throws
// std::invalid_argument naming the field when an address or the Message-ID is not valid.
std::string render_mail(const MailMessage& message);

}  // namespace callsight
