#include "api/dni_requests.hpp"

#include <algorithm>

#include "common/utf8.hpp"
#include "core/cidr.hpp"
#include "core/dni/bots.hpp"
#include "core/dni/pool_rules.hpp"
#include "core/phone_number.hpp"
#include "http/error.hpp"

namespace callsight::api {

void refuse(int status, std::string code, std::string field, std::string message) {
  throw http::HttpError{status, {{std::move(code), std::move(field), std::move(message)}}, {}};
}

bool is_client_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_';
  });
}

std::optional<std::string> read_client_id(Fields& fields, std::string_view name,
                                          Presence presence) {
  auto id = fields.text(name, 64, presence);
  if (!id || id->empty()) return std::nullopt;
  if (!is_client_id(*id)) {
    fields.add_error("invalid", std::string(name),
                     "'" + std::string(name) + "' must be letters, digits, '-' or '_'");
  }
  return id;
}

void require_no_nul(std::string_view value, const std::string& field) {
  if (value.find('\0') != std::string_view::npos) {
    refuse(400, "invalid", field, "'" + field + "' must not contain NUL");
  }
}

namespace {

constexpr auto kSiteCacheLifetime = std::chrono::milliseconds(500);
constexpr std::size_t kCachedSites = 10000;

}  // namespace

DniSites::DniSites(Store& store) : store_(store), cache_(kCachedSites) {}

std::shared_ptr<const DniSite> DniSites::require(const std::string& advid) {
  // The lifetime is real time, whatever clock the API runs on.
  const auto now = std::chrono::steady_clock::now();
  if (auto cached = cache_.find(advid, now)) return cached;
  auto site = store_.dni().find_site(advid);
  if (!site) {
    cache_.erase(advid);
    refuse(404, "not_found", "advid", "no customer has this advid");
  }
  auto shared = std::make_shared<const DniSite>(std::move(*site));
  cache_.put(advid, shared, now + kSiteCacheLifetime, now);
  return shared;
}

const DniSitePool& pool_for_visit(const DniSite& site, const dni::Visit& visit) {
  std::vector<dni::PoolRules> rules;
  for (const auto& pool : site.pools) rules.push_back(pool.rules());
  const auto choice = dni::choose_pool(rules, visit);
  if (!choice) refuse(404, "no_pool", "url", "no pool of this customer serves this visit");
  return *std::find_if(site.pools.begin(), site.pools.end(),
                       [&](const DniSitePool& pool) { return pool.id == choice->pool_id; });
}

namespace {

bool is_crawler(const DniSite& site, const Visitor& visitor) {
  return !visitor.from_app && dni::is_bot(visitor.user_agent, site.denied_user_agents);
}

DniNumberRequest number_request(const DniSite& site, const DniSitePool& pool,
                                const dni::Visit& visit, const Visitor& visitor) {
  return {.partner_id = site.partner_id,
          .pool_id = pool.id,
          .session_id = visitor.session_id,
          .visitor_id = visitor.visitor_id,
          .consent = visitor.consent,
          .visit = visit,
          // A header may carry bytes that are not UTF-8; the session keeps what can be read.
          .user_agent = utf8::sanitize(visitor.user_agent),
          .ip_truncated = anonymized_address(visitor.address).value_or("")};
}

}  // namespace

std::optional<DniNumberAnswer> hand_out(Store& store, const DniSite& site, const DniSitePool& pool,
                                        const dni::Visit& visit, const Visitor& visitor) {
  if (is_crawler(site, visitor)) return std::nullopt;
  return store.dni().request_number(number_request(site, pool, visit, visitor));
}

void hand_out_then(Store& store, const DniSite& site, const DniSitePool& pool,
                   const dni::Visit& visit, const Visitor& visitor, Later<DniNumberAnswer> handed) {
  if (is_crawler(site, visitor)) return handed(std::nullopt, nullptr);
  store.dni().request_number_then(number_request(site, pool, visit, visitor), std::move(handed));
}

std::optional<std::string> shown_number(const DniNumberAnswer& answer) {
  if (answer.number.empty()) return std::nullopt;
  return answer.number;
}

Json dncs_numbers(const DniSite& site, const DniSitePool& pool, const DniNumberAnswer& answer,
                  const std::vector<std::string>& numbers_on_page) {
  Json numbers = Json::array();
  const auto number = shown_number(answer);
  if (!number) return numbers;
  const auto& to_replace = pool.settings.numbers_to_replace;
  const auto replaced = [&](const std::string& on_page) {
    if (to_replace.empty()) return true;
    const auto e164 = normalize_phone_number(on_page, site.country);
    const auto* printed = std::get_if<std::string>(&e164);
    return printed && std::find(to_replace.begin(), to_replace.end(), *printed) != to_replace.end();
  };
  for (const auto& on_page : numbers_on_page) {
    if (!replaced(on_page)) continue;
    numbers.push_back({{"number_on_page", on_page},
                       {"replace_with",
                        {{"local", format_national(*number)},
                         {"e164", *number},
                         {"meas_id", str(answer.assignment_id)}}}});
  }
  return numbers;
}

}  // namespace callsight::api
