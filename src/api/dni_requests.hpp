#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/fields.hpp"
#include "api/render.hpp"
#include "common/expiring_cache.hpp"
#include "core/dni/visit.hpp"
#include "store/dni_store.hpp"
#include "store/store.hpp"

// What the number requests of visitors' browsers (dni_public.cpp) and of partners' backends
// (dni_signed.cpp) share: the pool that serves a visit, the hand-out, Freespee's answer.
namespace callsight::api {

[[noreturn]] void refuse(int status, std::string code, std::string field, std::string message);

// Session and visitor ids the client kept (a script's cookies, a backend's records): ours
// are 32 hex digits, a Freespee script's are its own; nothing beyond letters, digits, '-'
// and '_', at most 64.
bool is_client_id(std::string_view id);
// A cookie id parameter (advid, session_id, visitor_id): at most 64 characters of is_client_id;
// an error is added to `fields` otherwise. An empty value counts as none.
std::optional<std::string> read_client_id(Fields& fields, std::string_view name,
                                          Presence presence = Presence::optional);

// No URL, referrer or cookie holds a NUL, and PostgreSQL text cannot: 400 invalid naming the
// field rather than a failed write.
void require_no_nul(std::string_view value, const std::string& field);

// Customers' sites (their pools' settings, their partner's country and deny list) by advid,
// read from memory for half a second after the database: a number request is the hottest
// path there is, and most of it would otherwise be this read. A change to a pool, a removed
// customer or pool, reaches every node within that time; hand_out still locks the pool and
// refuses one that is gone or not active. Unknown advids are not remembered, so a guesser
// cannot fill it. Thread-safe.
class DniSites {
 public:
  explicit DniSites(Store& store);

  // 404 not_found (field advid) when no customer has the advid.
  std::shared_ptr<const DniSite> require(const std::string& advid);

 private:
  Store& store_;
  ExpiringCache<DniSite, std::chrono::steady_clock::time_point> cache_;
};

// The customer's pool for the visit (docs/dynamic-numbers.md, "Which pool serves a visit");
// 404 no_pool (field url) when none serves it.
const DniSitePool& pool_for_visit(const DniSite& site, const dni::Visit& visit);

struct Visitor {
  std::optional<std::string> session_id;
  std::optional<std::string> visitor_id;
  bool consent = false;
  std::string user_agent;
  std::string address;    // the client's IP address; kept truncated
  bool from_app = false;  // a native app (server-side requests): no crawler, whatever it sends
};

// Hands out a number of the pool; nullopt for a crawler (a known one, or a user agent on the
// partner's deny list), which is shown the page's own number and takes none. Apps are no
// crawlers: they often send no user agent at all.
std::optional<DniNumberAnswer> hand_out(Store& store, const DniSite& site, const DniSitePool& pool,
                                        const dni::Visit& visit, const Visitor& visitor);
// hand_out without waiting for the commit (store.hpp, Later): a crawler is answered at once,
// with nullopt and no error.
void hand_out_then(Store& store, const DniSite& site, const DniSitePool& pool,
                   const dni::Visit& visit, const Visitor& visitor, Later<DniNumberAnswer> handed);

// The number shown: the pool's, its fallback, or none when every number is held and the
// pool has no fallback.
std::optional<std::string> shown_number(const DniNumberAnswer& answer);

// Freespee's `numbers`: for each number printed on the page that the pool replaces (every
// one when the pool names none), what replaces it.
Json dncs_numbers(const DniSite& site, const DniSitePool& pool, const DniNumberAnswer& answer,
                  const std::vector<std::string>& numbers_on_page);

inline constexpr std::string_view kBlockedUserAgent = "Blocked User Agent";  // Freespee's words

}  // namespace callsight::api
