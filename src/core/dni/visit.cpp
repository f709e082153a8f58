#include "core/dni/visit.hpp"

#include <algorithm>
#include <array>

#include "common/hex.hpp"
#include "common/text.hpp"
#include "common/utf8.hpp"

namespace callsight::dni {
namespace {

// Valid UTF-8 (ill-formed bytes replaced), at most `max` code points.
std::string clean(std::string_view raw, std::size_t max) {
  const std::string valid = utf8::sanitize(raw);
  return std::string(utf8::first_code_points(valid, max));
}

// A malformed escape ("%zz", a trailing "%") is kept as typed, as browsers do.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const int high = c == '%' && i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
    if (low >= 0) {
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c == '+' ? ' ' : c;
    }
  }
  return out;
}

std::string* known_field(QueryFacts& facts, std::string_view lower_name) {
  auto& u = facts.utm;
  auto& k = facts.click_ids;
  const std::array<std::pair<std::string_view, std::string*>, 10> fields{{
      {"utm_source", &u.source},
      {"utm_medium", &u.medium},
      {"utm_campaign", &u.campaign},
      {"utm_term", &u.term},
      {"utm_content", &u.content},
      {"gclid", &k.gclid},
      {"gbraid", &k.gbraid},
      {"wbraid", &k.wbraid},
      {"fbclid", &k.fbclid},
      {"msclkid", &k.msclkid},
  }};
  for (const auto& [name, field] : fields) {
    if (name == lower_name) return field;
  }
  return nullptr;
}

void add_parameter(QueryFacts& facts, std::string name, std::string value) {
  if (name.empty()) return;
  if (std::string* field = known_field(facts, ascii_lower(name))) {
    if (field->empty()) *field = std::move(value);
    return;
  }
  const bool seen = std::any_of(facts.custom.begin(), facts.custom.end(),
                                [&](const auto& pair) { return pair.first == name; });
  if (!seen && facts.custom.size() < kMaxCustomParameters) {
    facts.custom.emplace_back(std::move(name), std::move(value));
  }
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.size() <= 20 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find(separator, start)) != std::string_view::npos;
       start = end + 1) {
    parts.push_back(text.substr(start, end - start));
  }
  parts.push_back(text.substr(start));
  return parts;
}

// "user@host:port" -> "host"; "[::1]:8080" -> "[::1]".
std::string host_of_authority(std::string_view authority) {
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    authority = authority.substr(0, colon);
  }
  return ascii_lower(authority);
}

}  // namespace

bool ClickIds::any() const {
  return !gclid.empty() || !gbraid.empty() || !wbraid.empty() || !fbclid.empty() ||
         !msclkid.empty();
}

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  url = url.substr(0, url.find('#'));
  const auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos && url.find_first_of("/?") > scheme_end) {
    url.remove_prefix(scheme_end + 3);
    const auto authority_end = std::min(url.find_first_of("/?"), url.size());
    parts.host = host_of_authority(url.substr(0, authority_end));
    url.remove_prefix(authority_end);
  }
  const auto question = url.find('?');
  parts.path = std::string(url.substr(0, question));
  if (parts.path.empty()) parts.path = "/";
  if (question != std::string_view::npos) parts.query = std::string(url.substr(question + 1));
  return parts;
}

QueryFacts parse_query(std::string_view query) {
  QueryFacts facts;
  for (const auto pair : split(query, '&')) {
    const auto equals = pair.find('=');
    const auto name = pair.substr(0, equals);
    const auto value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    add_parameter(facts, clean(percent_decode(name), kMaxValueCodePoints),
                  clean(percent_decode(value), kMaxValueCodePoints));
  }
  return facts;
}

std::optional<std::string> ga_client_id(std::string_view ga_cookie) {
  const auto parts = split(ga_cookie, '.');
  if (parts.size() != 4 || parts[0].size() < 3 || parts[0].substr(0, 2) != "GA")
    return std::nullopt;
  const bool digits = all_digits(parts[0].substr(2)) && all_digits(parts[1]) &&
                      all_digits(parts[2]) && all_digits(parts[3]);
  if (!digits) return std::nullopt;
  return std::string(parts[2]) + "." + std::string(parts[3]);
}

Visit read_visit(std::string_view landing_url, std::string_view referrer,
                 std::string_view ga_cookie) {
  Visit visit;
  visit.landing_url = clean(landing_url, kMaxUrlCodePoints);
  visit.landing = split_url(visit.landing_url);
  visit.query = parse_query(visit.landing.query);
  visit.referrer = clean(referrer, kMaxUrlCodePoints);
  visit.referrer_host = split_url(visit.referrer).host;
  visit.ga_client_id = ga_client_id(ga_cookie);
  return visit;
}

}  // namespace callsight::dni
