#include "mail/smtp_client.hpp"

#include <gtest/gtest.h>

namespace callsight::mail {
namespace {

TEST(SmtpClient, DataIsDotStuffedWithCrlfLineEnds) {
  EXPECT_EQ(dot_stuffed("Subject: x\r\n\r\n.\r\n..two\nlast"),
            "Subject: x\r\n\r\n..\r\n...two\r\nlast\r\n.\r\n");
  EXPECT_EQ(dot_stuffed("one\r\n"), "one\r\n.\r\n");
}

TEST(SmtpClient, TlsModesHaveTheirFlagNames) {
  for (const auto mode : {SmtpTls::starttls, SmtpTls::tls, SmtpTls::off}) {
    EXPECT_EQ(parse_smtp_tls(to_string(mode)), mode);
  }
  EXPECT_FALSE(parse_smtp_tls("ssl"));
}

TEST(SmtpClient, ARelayThatIsNotListeningIsATransientError) {
  // Port 1 on loopback: nothing listens there, so the connect is refused at once.
  SmtpOptions options{.host = "127.0.0.1", .port = 1, .tls = SmtpTls::off};
  try {
    send_mail(options, "a@example.com", "b@example.com", "Subject: x\r\n\r\nx\r\n");
    FAIL() << "sent to a closed port";
  } catch (const SmtpError& e) {
    EXPECT_FALSE(e.permanent());
    EXPECT_EQ(std::string(e.what()).rfind("connect: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace callsight::mail
