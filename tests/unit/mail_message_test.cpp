#include "core/mail_message.hpp"

#include <gtest/gtest.h>

#include "common/base64.hpp"
#include "common/utf8.hpp"
#include "core/time_format.hpp"

namespace callsight {
namespace {

MailMessage sample_mail() {
  return {.from = "callsight@example.com",
          .to = "sales@example.org",
          .subject = "Missed call to Spring ads",
          .body = "Caller: +46701234567\n",
          .message_id = "0123abcd@example.com",
          .date = parse_utc("2026-12-06 06:19:10").value()};
}

// The header block of a rendered message, up to the empty line.
std::string headers_of(const std::string& message) {
  return message.substr(0, message.find("\r\n\r\n") + 2);
}

// The decoded text of "=?UTF-8?B?...?=" words folded with CRLF SP.
std::string decode_words(const std::string& value) {
  std::string out;
  std::size_t at = 0;
  while ((at = value.find("=?UTF-8?B?", at)) != std::string::npos) {
    at += 10;
    const auto end = value.find("?=", at);
    out += decode_base64(value.substr(at, end - at)).value();
    at = end + 2;
  }
  return out;
}

TEST(MailMessage, AddressesAreSingleAsciiAddressesOnly) {
  EXPECT_TRUE(is_mail_address("sales@example.com"));
  EXPECT_TRUE(is_mail_address("first.last+tag@mail.example.co.uk"));
  EXPECT_FALSE(is_mail_address("sales@example.com\r\nBcc: x@evil.example"));
  EXPECT_FALSE(is_mail_address("a@example.com,b@example.com"));
  EXPECT_FALSE(is_mail_address("Sales <sales@example.com>"));
  EXPECT_FALSE(is_mail_address("sales@localhost"));
  EXPECT_FALSE(is_mail_address("försäljning@example.com"));
  EXPECT_FALSE(is_mail_address("a..b@example.com"));
  EXPECT_FALSE(is_mail_address("@example.com"));
  EXPECT_FALSE(is_mail_address("sales@-example.com"));
  EXPECT_FALSE(is_mail_address(""));
}

TEST(MailMessage, RendersTheHeadersAndAQuotedPrintableBody) {
  const auto text = render_mail(sample_mail());
  EXPECT_EQ(text,
            "Date: Sun, 06 Dec 2026 06:19:10 +0000\r\n"
            "From: <callsight@example.com>\r\n"
            "To: <sales@example.org>\r\n"
            "Subject: Missed call to Spring ads\r\n"
            "Message-ID: <0123abcd@example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "Auto-Submitted: auto-generated\r\n"
            "\r\n"
            "Caller: +46701234567\r\n");
}

TEST(MailMessage, AStoredNameCannotAddAHeader) {
  auto mail = sample_mail();
  mail.subject = "Spring\r\nBcc: victim@evil.example\r\n\r\nfake body";
  const auto headers = headers_of(render_mail(mail));
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos);
  // One header per line: every line but the last starts a new header or folds one.
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = headers.find("\r\n", at)) != std::string::npos; at += 2) ++lines;
  EXPECT_EQ(lines, 9u);
  EXPECT_NE(headers.find("Subject: Spring  Bcc: victim@evil.example    fake body\r\n"),
            std::string::npos);
}

TEST(MailMessage, ANonAsciiSubjectIsEncodedWordsSplitBetweenCharacters) {
  const std::string subject = "Missat samtal till Vårkampanj Göteborg – ÅÄÖ åäö € 🎉 slut";
  const auto value = encode_header_text(subject);
  EXPECT_EQ(value.rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_EQ(decode_words(value), subject);
  for (std::size_t at = 0, next = 0; at < value.size(); at = next + 3) {
    next = value.find("\r\n ", at);
    if (next == std::string::npos) next = value.size();
    EXPECT_LE(next - at, 75u);  // RFC 2047 §2
    // Each word decodes to whole UTF-8 characters on its own.
    const std::string word = value.substr(at, next - at);
    const auto decoded = decode_words(word);
    EXPECT_EQ(utf8::sanitize(decoded), decoded);
  }
}

TEST(MailMessage, AsciiThatLooksEncodedAndInvalidBytesAreEncoded) {
  EXPECT_EQ(decode_words(encode_header_text("=?UTF-8?B?Zm9v?=")), "=?UTF-8?B?Zm9v?=");
  EXPECT_EQ(decode_words(encode_header_text("bad \xff byte")), "bad \xEF\xBF\xBD byte");
}

TEST(MailMessage, QuotedPrintableKeepsLinesShortAndNeverEndsData) {
  EXPECT_EQ(encode_quoted_printable("a=b\n.\nend \nRäksmörgås"),
            "a=3Db\r\n=2E\r\nend=20\r\nR=C3=A4ksm=C3=B6rg=C3=A5s\r\n");
  const auto long_line = encode_quoted_printable(std::string(200, 'x') + "\n");
  std::size_t at = 0;
  while (at < long_line.size()) {
    const auto end = long_line.find("\r\n", at);
    EXPECT_LE(end - at, 76u);
    at = end + 2;
  }
  EXPECT_EQ(long_line.find("\r\n.\r\n"), std::string::npos);
}

TEST(MailMessage, RenderRefusesAnInvalidAddressOrMessageId) {
  auto mail = sample_mail();
  mail.to = "x@example.com\r\nRCPT TO:<y@example.com>";
  EXPECT_THROW(render_mail(mail), std::invalid_argument);
  mail = sample_mail();
  mail.message_id = "a b@example.com";
  EXPECT_THROW(render_mail(mail), std::invalid_argument);
}

TEST(MailMessage, DatesAreRfc5322InUtc) {
  EXPECT_EQ(format_mail_date(parse_utc("2024-02-29 23:59:59").value()),
            "Thu, 29 Feb 2024 23:59:59 +0000");
}

}  // namespace
}  // namespace callsight
