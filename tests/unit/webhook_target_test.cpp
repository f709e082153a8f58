#include "core/webhook_target.hpp"

#include <gtest/gtest.h>

namespace callsight {
namespace {

TEST(WebhookTarget, ParsesSchemeHostPortPathAndCredentials) {
  const auto t = parse_webhook_url("HTTPS://User:Pw@Hooks.Example.COM.:8443/in?x=1#frag");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->host, "hooks.example.com");
  EXPECT_EQ(t->port, 8443);
  EXPECT_EQ(t->path, "/in?x=1");
  EXPECT_EQ(t->userinfo, "User:Pw");
  const auto plain = parse_webhook_url("http://[fe80::1%25eth0]?q");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "fe80::1");
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "/?q");
}

TEST(WebhookTarget, RefusesWhatIsNotAnHttpUrlWithAHost) {
  for (const char* url : {"ftp://x.se/", "http://", "http:///path", "http://x.se:0/",
                          "http://x.se:65536/", "http://x.se:/", "http://x.se:80x/",
                          "http://a b.se/", "http://[::1/", "http://[not-v6]/", "x.se"}) {
    EXPECT_FALSE(parse_webhook_url(url)) << url;
  }
}

TEST(WebhookTarget, PrivateAddressesAndLocalNames) {
  for (const char* a : {"127.0.0.1", "10.1.2.3", "172.31.0.1", "192.168.1.1", "169.254.169.254",
                        "0.0.0.0", "::1", "::", "fd00::1", "fe80::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_private_address(a)) << a;
  }
  for (const char* a : {"8.8.8.8", "172.32.0.1", "2001:db8::1", "hooks.example.com"}) {
    EXPECT_FALSE(is_private_address(a)) << a;
  }
  EXPECT_TRUE(is_local_host_name("LOCALHOST"));
  EXPECT_TRUE(is_local_host_name("api.localhost"));
  EXPECT_FALSE(is_local_host_name("localhost.example.com"));
}

TEST(WebhookTarget, AmbiguousNumericHostsAreFlagged) {
  for (const char* h : {"2130706433", "127.1", "0x7f.0.0.1", "017.0.0.1.5"}) {
    EXPECT_EQ(is_ambiguous_numeric_host(h), std::string(h) != "017.0.0.1.5") << h;
  }
  EXPECT_FALSE(is_ambiguous_numeric_host("127.0.0.1"));
  EXPECT_FALSE(is_ambiguous_numeric_host("10.example.com"));
}

// Found by fuzzing (tests/fuzz/regressions/webhook_target): a bare scheme made substr() run
// past the end and throw std::out_of_range out of the url check.
TEST(WebhookTarget, RefusesABareSchemeWithoutThrowing) {
  EXPECT_FALSE(parse_webhook_url("http"));
  EXPECT_FALSE(parse_webhook_url("HTTPS"));
  EXPECT_FALSE(parse_webhook_url("http:/"));
}

}  // namespace
}  // namespace callsight
