#include <gtest/gtest.h>

#include <string>

#include "common/base64.hpp"
#include "core/dni/dncs_path.hpp"

namespace callsight::dni {
namespace {

// Base64url without padding, as Freespee's script encodes.
std::string b64(std::string_view text) {
  std::string encoded = encode_base64(text);
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  for (char& c : encoded) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return encoded;
}

TEST(DniDncsPath, ReadsEveryParameter) {
  const std::string path =
      "callback:__fs.cb_1/advid:" + b64("1412;08") +
      "/sessionId:s123/trackingId:t456/url:" + b64("https://shop.example/?gclid=x~y") +
      "/referrer:" + b64("https://www.google.com/") +
      "/numbersToReplace:" + b64("+4687654321,,08-123 45") +
      "/parameters:" + b64("_ga=GA1.2.1.2&ab=7") + "/sameSite:1/extTrack:0";
  const auto result = parse_dncs_path(path);
  ASSERT_TRUE(result.request.has_value()) << result.bad_parameter;
  const auto& r = *result.request;
  EXPECT_EQ(r.callback, "__fs.cb_1");
  EXPECT_EQ(r.advid, "1412");
  EXPECT_EQ(r.session_id, "s123");
  EXPECT_EQ(r.tracking_id, "t456");
  EXPECT_EQ(r.url, "https://shop.example/?gclid=x~y");
  EXPECT_EQ(r.referrer, "https://www.google.com/");
  EXPECT_EQ(r.numbers_to_replace, (std::vector<std::string>{"+4687654321", "08-123 45"}));
  EXPECT_EQ(r.parameters, "_ga=GA1.2.1.2&ab=7");
}

TEST(DniDncsPath, NeedsOnlyASafeCallbackAndAnAdvid) {
  const auto result = parse_dncs_path("advid:" + b64("1412") + "/callback:$jsonp");
  ASSERT_TRUE(result.request.has_value());
  EXPECT_EQ(result.request->advid, "1412");
  EXPECT_TRUE(result.request->url.empty());
  EXPECT_EQ(parse_dncs_path("callback:cb").bad_parameter, "advid");
  EXPECT_EQ(parse_dncs_path("callback:cb/advid:" + b64(";08")).bad_parameter, "advid");
  EXPECT_EQ(parse_dncs_path("advid:" + b64("1412")).bad_parameter, "callback");
}

TEST(DniDncsPath, RefusesCallbacksThatAreNotPlainIdentifiers) {
  const std::string advid = "/advid:" + b64("1412");
  for (const std::string& bad :
       {std::string("1cb"), std::string("alert(1)"), std::string("a-b"), std::string(".cb"),
        std::string("cb;x"), std::string(65, 'a'), std::string("")}) {
    const auto result = parse_dncs_path("callback:" + bad + advid);
    EXPECT_FALSE(result.request.has_value()) << bad;
    EXPECT_EQ(result.bad_parameter, "callback") << bad;
  }
  EXPECT_TRUE(parse_dncs_path("callback:" + std::string(64, 'a') + advid).request.has_value());
}

TEST(DniDncsPath, NamesTheParameterWhoseBase64IsBroken) {
  const std::string base = "callback:cb/advid:" + b64("1412");
  for (const char* name : {"url", "referrer", "numbersToReplace", "parameters"}) {
    for (const char* value : {"Zg==", "a+b/", "Z"}) {
      const auto result = parse_dncs_path(base + "/" + name + ":" + value);
      EXPECT_FALSE(result.request.has_value()) << name << " " << value;
      EXPECT_EQ(result.bad_parameter, name) << value;
    }
  }
  EXPECT_EQ(parse_dncs_path("callback:cb/advid:Zg==").bad_parameter, "advid");
}

TEST(DniDncsPath, PreFlightIsZeroOrOne) {
  const std::string base = "callback:f/advid:" + b64("7");
  EXPECT_FALSE(parse_dncs_path(base).request->preflight);
  EXPECT_FALSE(parse_dncs_path(base + "/preFlight:0").request->preflight);
  EXPECT_TRUE(parse_dncs_path(base + "/preFlight:1").request->preflight);
  EXPECT_EQ(parse_dncs_path(base + "/preFlight:yes").bad_parameter, "preFlight");
  EXPECT_EQ(parse_dncs_path(base + "/preFlight:1/preFlight:1").bad_parameter, "preFlight");
}

TEST(DniDncsPath, RefusesRepeatedParametersAndNamelessSegments) {
  const std::string base = "callback:cb/advid:" + b64("1412");
  EXPECT_EQ(parse_dncs_path(base + "/sessionId:a/sessionId:b").bad_parameter, "sessionId");
  EXPECT_EQ(parse_dncs_path(base + "/noColon").bad_parameter, "path");
  EXPECT_EQ(parse_dncs_path(base + "/:value").bad_parameter, "path");
  // Unknown parameters are ignored, even repeated; empty segments (a trailing slash) too.
  EXPECT_TRUE(parse_dncs_path(base + "/dryRun:1/dryRun:1//").request.has_value());
}

}  // namespace
}  // namespace callsight::dni
