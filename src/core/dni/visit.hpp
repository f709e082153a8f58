#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// What a web visit tells about where it came from: the landing URL's query (UTM values, ad
// click ids, the rest), the referrer, the Google Analytics client id. Pure parsing; the store
// keeps the result with the session and attribution copies it onto the call.
namespace callsight::dni {

// Stored lengths, in code points: a landing URL and a referrer are kept to 2048 (what browsers
// and ad networks reliably carry), each parameter name and value to 256, at most 32 custom
// parameters.
// Longer input is cut, not refused: a visitor must still get a number for a long URL.
inline constexpr std::size_t kMaxUrlCodePoints = 2048;
inline constexpr std::size_t kMaxValueCodePoints = 256;
inline constexpr std::size_t kMaxCustomParameters = 32;

struct UtmValues {
  std::string source;
  std::string medium;
  std::string campaign;
  std::string term;
  std::string content;

  bool operator==(const UtmValues&) const = default;
};

// Ad networks' click ids: Google (gclid, and gbraid/wbraid for iOS app and web), Meta, Microsoft.
struct ClickIds {
  std::string gclid;
  std::string gbraid;
  std::string wbraid;
  std::string fbclid;
  std::string msclkid;

  bool any() const;
  bool operator==(const ClickIds&) const = default;
};

struct QueryFacts {
  UtmValues utm;
  ClickIds click_ids;
  std::vector<std::pair<std::string, std::string>> custom;  // in URL order
};

// Host (lower case, without user info or port), path ("/" when absent) and raw query of an
// absolute URL ("https://host/path?query#fragment") or a path ("/path?query"). Never fails:
// what is not there is empty.
struct UrlParts {
  std::string host;
  std::string path;
  std::string query;
};
UrlParts split_url(std::string_view url);

// A query string's name=value pairs, percent-decoded with '+' as a space. Names match UTM and
// click-id keys without regard to ASCII case (sites and ad tools send UTM_Source too); the first
// occurrence of a key wins. Bytes that are not UTF-8 become U+FFFD: the visit keeps what can be
// read rather than losing the whole field. Each value is cut to kMaxValueCodePoints.
QueryFacts parse_query(std::string_view query);

// The client id of a `_ga` cookie ("GA1.2.1234567890.1700000000" -> "1234567890.1700000000"):
// the last two dot-separated digit groups after a "GA<n>.<n>." prefix; anything else is none.
std::optional<std::string> ga_client_id(std::string_view ga_cookie);

// Everything a visit is attributed by. The landing URL is cut to kMaxUrlCodePoints before it is
// parsed, so the work per request is bounded.
struct Visit {
  std::string landing_url;
  UrlParts landing;
  std::string referrer;
  std::string referrer_host;
  QueryFacts query;
  std::optional<std::string> ga_client_id;
};
Visit read_visit(std::string_view landing_url, std::string_view referrer,
                 std::string_view ga_cookie);

}  // namespace callsight::dni
