#include "core/cidr.hpp"

#include <gtest/gtest.h>

namespace callsight {
namespace {

TEST(Cidr, AcceptsAddressesAndBlocksOfBothFamilies) {
  for (const char* cidr : {"127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32", "0.0.0.0/0", "::/0",
                           "192.168.1.7/32", "::1/128", "::ffff:10.0.0.0/104"}) {
    EXPECT_TRUE(is_valid_cidr(cidr)) << cidr;
  }
}

TEST(Cidr, RejectsBadPrefixLengthsAndGarbage) {
  for (const char* cidr :
       {"", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8",
        "10.0.0.0/ 8", "10.0.0.0/0008", "10.0.0", "256.0.0.1", "not an ip", "1.2.3.4 ",
        "fe80::1%eth0", "/8", "::1/abc", "10.0.0.0/8x"}) {
    EXPECT_FALSE(is_valid_cidr(cidr)) << cidr;
  }
}

TEST(Cidr, MatchesAddressesInsideTheBlockOnly) {
  const std::vector<std::string> cidrs{"10.0.0.0/8", "192.168.1.0/25", "2001:db8::/32"};
  EXPECT_TRUE(address_in_cidrs("10.255.3.4", cidrs));
  EXPECT_FALSE(address_in_cidrs("11.0.0.1", cidrs));
  EXPECT_TRUE(address_in_cidrs("192.168.1.127", cidrs));
  EXPECT_FALSE(address_in_cidrs("192.168.1.128", cidrs));
  EXPECT_TRUE(address_in_cidrs("2001:db8:ffff::1", cidrs));
  EXPECT_FALSE(address_in_cidrs("2001:db9::1", cidrs));
}

TEST(Cidr, SingleAddressMatchesItselfOnly) {
  EXPECT_TRUE(address_in_cidrs("127.0.0.1", {"127.0.0.1"}));
  EXPECT_FALSE(address_in_cidrs("127.0.0.2", {"127.0.0.1"}));
  EXPECT_TRUE(address_in_cidrs("::1", {"::1"}));
  EXPECT_TRUE(address_in_cidrs("::1", {"::1/128"}));
  EXPECT_FALSE(address_in_cidrs("::2", {"::1/128"}));
}

TEST(Cidr, ZeroPrefixMatchesEveryAddressOfItsFamily) {
  EXPECT_TRUE(address_in_cidrs("203.0.113.9", {"0.0.0.0/0"}));
  EXPECT_FALSE(address_in_cidrs("2001:db8::1", {"0.0.0.0/0"}));
  EXPECT_TRUE(address_in_cidrs("2001:db8::1", {"::/0"}));
}

TEST(Cidr, Ipv4MappedIpv6AddressMatchesIpv4Blocks) {
  EXPECT_TRUE(address_in_cidrs("::ffff:10.1.2.3", {"10.0.0.0/8"}));
  EXPECT_TRUE(address_in_cidrs("::ffff:127.0.0.1", {"127.0.0.1"}));
  EXPECT_FALSE(address_in_cidrs("::ffff:11.1.2.3", {"10.0.0.0/8"}));
  EXPECT_TRUE(address_in_cidrs("10.1.2.3", {"::ffff:10.0.0.0/104"}));
}

TEST(Cidr, FamiliesNeverCrossMatch) {
  EXPECT_FALSE(address_in_cidrs("::1", {"127.0.0.1", "0.0.0.0/0"}));
  EXPECT_FALSE(address_in_cidrs("127.0.0.1", {"::1", "2001:db8::/32"}));
}

TEST(Cidr, GarbageNeverMatches) {
  EXPECT_FALSE(address_in_cidrs("", {"0.0.0.0/0", "::/0"}));
  EXPECT_FALSE(address_in_cidrs("localhost", {"0.0.0.0/0", "::/0"}));
  EXPECT_FALSE(address_in_cidrs("10.0.0.1", {"10.0.0.0/99", "garbage"}));
  EXPECT_FALSE(address_in_cidrs("10.0.0.1", {}));
}

TEST(Cidr, HostBitsInTheBlockAreIgnored) {
  EXPECT_TRUE(is_valid_cidr("10.1.2.3/8"));
  EXPECT_TRUE(address_in_cidrs("10.200.0.1", {"10.1.2.3/8"}));
}

TEST(Cidr, ClientNetworkIsTheIpv4AddressOrTheIpv6Slash64) {
  EXPECT_EQ(client_network("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(client_network("::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(client_network("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_network("2001:db8:1:2:bbbb::7"), client_network("2001:db8:1:2::1"));
  EXPECT_NE(client_network("2001:db8:1:3::1"), client_network("2001:db8:1:2::1"));
  EXPECT_EQ(client_network("::1"), "::/64");
  EXPECT_EQ(client_network("garbage"), "garbage");
}

TEST(Cidr, AnonymizedAddressZeroesTheLastIpv4OctetAndCutsIpv6ToSlash48) {
  EXPECT_EQ(anonymized_address("203.0.113.9"), "203.0.113.0");
  EXPECT_EQ(anonymized_address("::ffff:203.0.113.9"), "203.0.113.0");
  EXPECT_EQ(anonymized_address("2001:db8:1:2:aaaa::1"), "2001:db8:1::");
  EXPECT_EQ(anonymized_address("2001:db8:1:ffff::1"), anonymized_address("2001:db8:1::9"));
  EXPECT_NE(anonymized_address("2001:db8:2::1"), anonymized_address("2001:db8:1::1"));
  EXPECT_FALSE(anonymized_address("garbage").has_value());
  EXPECT_FALSE(anonymized_address("").has_value());
}

TEST(ForwardedClient, WithoutATrustedPeerTheHeaderIsIgnored) {
  const std::vector<std::string> proxies = {"10.0.0.0/8"};
  EXPECT_EQ(forwarded_client("203.0.113.9", "198.51.100.1", proxies), "203.0.113.9");
  EXPECT_EQ(forwarded_client("10.0.0.2", "198.51.100.1", {}), "10.0.0.2");
}

TEST(ForwardedClient, ATrustedPeerNamesTheClient) {
  const std::vector<std::string> proxies = {"10.0.0.0/8"};
  EXPECT_EQ(forwarded_client("10.0.0.2", "198.51.100.1", proxies), "198.51.100.1");
  EXPECT_EQ(forwarded_client("10.0.0.2", "", proxies), "10.0.0.2");
  EXPECT_EQ(forwarded_client("10.0.0.2", " 2001:db8::7 ", proxies), "2001:db8::7");
}

TEST(ForwardedClient, WhatTheClientClaimsLeftOfTheFirstUntrustedHopIsIgnored) {
  const std::vector<std::string> proxies = {"10.0.0.0/8", "192.0.2.1"};
  // The client sent "1.2.3.4" itself; its real address is what the first proxy appended.
  EXPECT_EQ(forwarded_client("10.0.0.2", "1.2.3.4, 198.51.100.1", proxies), "198.51.100.1");
  // Two trusted proxies in a row are stepped over.
  EXPECT_EQ(forwarded_client("10.0.0.2", "1.2.3.4, 198.51.100.1, 192.0.2.1", proxies),
            "198.51.100.1");
}

TEST(ForwardedClient, AMalformedEntryStopsAtTheHopThatPassedItOn) {
  const std::vector<std::string> proxies = {"10.0.0.0/8"};
  EXPECT_EQ(forwarded_client("10.0.0.2", "198.51.100.1, unknown", proxies), "10.0.0.2");
  EXPECT_EQ(forwarded_client("10.0.0.2", "10.0.0.0/8", proxies), "10.0.0.2");
  EXPECT_EQ(forwarded_client("10.0.0.2", "junk, 10.0.0.3", proxies), "10.0.0.3");
}

}  // namespace
}  // namespace callsight
