// The number requests of a visitor's browser (docs/dynamic-numbers.md, "The browser script";
// docs/api.md, "Number requests from browsers"): no partner credentials, so every answer is
// bounded by what the named customer's pools allow.
#include "api/dni_public.hpp"

#include <algorithm>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/context.hpp"
#include "api/dni_requests.hpp"
#include "api/dni_script.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "core/cidr.hpp"
#include "core/dni/dncs_path.hpp"
#include "core/dni/site_origin.hpp"
#include "core/dni/visit.hpp"
#include "core/phone_number.hpp"
#include "http/error.hpp"
#include "store/customer_store.hpp"
#include "store/dni_store.hpp"

namespace callsight::api {
namespace {

constexpr std::string_view kDncsPrefix = "/external/dncs/";
constexpr std::int64_t kLongestHeartbeatSeconds = 60;

// What every shape of number request carries, whatever its wire names.
struct VisitInput {
  std::string advid;  // the customer's uuid
  std::optional<std::string> session_id;
  std::optional<std::string> visitor_id;
  bool consent = false;
  std::string url;
  std::string referrer;
  std::string ga_cookie;
};

// The parameters of /dni/number and /dni/amp. The URL and referrer are not refused for their
// length: read_visit cuts them, and the visitor still gets a number.
VisitInput read_visit_input(const http::Params& params) {
  Fields fields(params);
  VisitInput input;
  if (auto advid = read_client_id(fields, "advid", Presence::required)) input.advid = *advid;
  input.session_id = read_client_id(fields, "session_id");
  input.visitor_id = read_client_id(fields, "visitor_id");
  input.consent = fields.choice("consent", {0, 1}).value_or(0) == 1;
  fields.throw_if_errors();
  input.url = params.get("url").value_or("");
  input.referrer = params.get("referrer").value_or("");
  input.ga_cookie = params.get("ga").value_or("");  // Params refused NUL already
  return input;
}

// The origin to answer CORS headers for: a CORS request's Origin, which must be allowed; a
// script or JSONP request (no Origin) must come from an allowed page by its Referer.
std::optional<std::string> check_origin(const http::Request& request,
                                        const std::vector<std::string>& allowed) {
  if (const auto origin = request.header("origin")) {
    if (!dni::is_allowed_origin(*origin, allowed)) {
      refuse(403, "origin_not_allowed", "Origin", "this site may not ask for the pool's numbers");
    }
    return std::string(*origin);
  }
  const auto referer = request.header("referer");
  const auto origin = referer ? dni::origin_of_url(*referer) : std::nullopt;
  if (!origin || !dni::is_allowed_origin(*origin, allowed)) {
    refuse(403, "origin_not_allowed", "Referer", "this page may not ask for the pool's numbers");
  }
  return std::nullopt;
}

void add_cors_headers(http::Response& response, const std::optional<std::string>& origin) {
  if (!origin) return;
  response.headers.emplace_back("Access-Control-Allow-Origin", *origin);
  response.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  response.headers.emplace_back("Vary", "Origin");
}

http::Response json_response(int status, const Json& body,
                             const std::optional<std::string>& origin) {
  http::Response response{status, "application/json", {}, to_json_text(body)};
  response.headers.emplace_back("Cache-Control", "no-store");
  add_cors_headers(response, origin);
  return response;
}

// One number request served: the pool that serves the visit and what it handed out.
struct Served {
  std::shared_ptr<const DniSite> site;
  const DniSitePool* pool = nullptr;  // one of site's
  std::optional<std::string> cors_origin;
  std::optional<DniNumberAnswer> answer;  // none: a crawler, shown the page's own numbers
};

// The pool that serves the visit, if the page may ask for its numbers.
Served locate(DniSites& sites, const http::Request& request, const dni::Visit& visit,
              const std::string& advid) {
  Served served{.site = sites.require(advid)};
  served.pool = &pool_for_visit(*served.site, visit);
  served.cors_origin = check_origin(request, served.pool->settings.allowed_origins);
  return served;
}

Visitor visitor_of(const http::Request& request, const VisitInput& input) {
  return {.session_id = input.session_id,
          .visitor_id = input.visitor_id,
          .consent = input.consent,
          .user_agent = std::string(request.header("user-agent").value_or("")),
          .address = request.remote_address};
}

// Serves a number request and answers with what `render` makes of it, once the hand-out is
// durable: under a server, later (LaterAnswer), from the thread that committed it, so this
// request's thread serves other requests meanwhile. `render` must hold copies of what it uses.
http::Response serve_number(Store& store, DniSites& sites, const http::Request& request,
                            const VisitInput& input,
                            std::function<http::Response(const Served&)> render) {
  const auto visit = dni::read_visit(input.url, input.referrer, input.ga_cookie);
  auto served = std::make_shared<Served>(locate(sites, request, visit, input.advid));
  const LaterAnswer answer;  // after whatever refuses the request here: it must be answered
  if (!answer) {
    served->answer =
        hand_out(store, *served->site, *served->pool, visit, visitor_of(request, input));
    return render(*served);
  }
  hand_out_then(store, *served->site, *served->pool, visit, visitor_of(request, input),
                [answer, served, render = std::move(render)](std::optional<DniNumberAnswer> handed,
                                                             const std::exception_ptr& error) {
                  answer([&] {
                    if (error) std::rethrow_exception(error);
                    served->answer = std::move(handed);
                    return render(*served);
                  });
                });
  return {};
}

std::string_view shown_name(dni::Pick verdict) {
  switch (verdict) {
    case dni::Pick::kept:
      return "kept";
    case dni::Pick::assigned:
      return "assigned";
    case dni::Pick::capped:
      return "capped";
    case dni::Pick::exhausted:
      break;
  }
  return "fallback";
}

std::int64_t heartbeat_seconds(const DniSitePool& pool) {
  return std::min<std::int64_t>(kLongestHeartbeatSeconds, pool.settings.timing.lease.count() / 2);
}

Json number_json(const Served& served) {
  const auto& answer = *served.answer;
  const auto number = shown_number(answer);
  Json replace = Json::array();
  for (const auto& printed : served.pool->settings.numbers_to_replace) {
    replace.push_back({{"e164", printed}, {"formatted", format_national(printed)}});
  }
  Json json = {{"status", "success"},
               {"session_id", answer.session_id},
               {"visitor_id", str_or_null(answer.visitor_id)},
               {"pool_id", str(served.pool->id)},
               {"shown", std::string(number ? shown_name(answer.verdict) : "none")},
               {"number", str_or_null(number)},
               {"formatted_number", number ? Json(format_national(*number)) : Json()},
               {"numbers_to_replace", replace},
               {"heartbeat_seconds", str(heartbeat_seconds(*served.pool))}};
  // Freespee's words for a contract's ceiling: the visitor still sees the fallback number.
  if (answer.verdict == dni::Pick::capped)
    json["message"] = std::string(dni::reason(answer.verdict));
  return json;
}

http::Response blocked_user_agent(const Served& served) {
  const Json error = {{"code", "blocked_user_agent"},
                      {"field", "User-Agent"},
                      {"message", std::string(kBlockedUserAgent)}};
  return json_response(403, {{"errors", Json::array({error})}}, served.cors_origin);
}

http::Response get_number(Store& store, DniSites& sites, const http::Request& request,
                          http::Params& params) {
  return serve_number(store, sites, request, read_visit_input(params), [](const Served& served) {
    if (!served.answer) return blocked_user_agent(served);
    return json_response(200, number_json(served), served.cors_origin);
  });
}

// amp-call-tracking: an empty phoneNumber keeps the page's own number.
http::Response get_amp_number(Store& store, DniSites& sites, const http::Request& request,
                              http::Params& params) {
  return serve_number(store, sites, request, read_visit_input(params), [](const Served& served) {
    const auto number = served.answer ? shown_number(*served.answer) : std::nullopt;
    return json_response(200,
                         {{"phoneNumber", number.value_or("")},
                          {"formattedPhoneNumber", number ? format_national(*number) : ""}},
                         served.cors_origin);
  });
}

// The session of one of the site's pools that a heartbeat or a release names, from a page the
// pool allows.
struct PoolSession {
  Id partner_id = 0;
  Id pool_id = 0;
  std::string session_id;
  std::optional<std::string> cors_origin;
};

PoolSession read_pool_session(DniSites& sites, const http::Request& request, http::Params& params) {
  Fields fields(params);
  const auto advid = read_client_id(fields, "advid", Presence::required);
  const auto pool_id = fields.id("pool_id", Presence::required);
  const auto session_id = read_client_id(fields, "session_id", Presence::required);
  fields.throw_if_errors();
  const auto site = sites.require(*advid);
  const auto pool = std::find_if(site->pools.begin(), site->pools.end(),
                                 [&](const DniSitePool& pool) { return pool.id == *pool_id; });
  if (pool == site->pools.end())
    refuse(404, "not_found", "pool_id", "this customer has no such pool");
  return {.partner_id = site->partner_id,
          .pool_id = *pool_id,
          .session_id = *session_id,
          .cors_origin = check_origin(request, pool->settings.allowed_origins)};
}

http::Response post_heartbeat(Store& store, DniSites& sites, const http::Request& request,
                              http::Params& params) {
  const auto held = read_pool_session(sites, request, params);
  const auto render = [origin = held.cors_origin](bool leased) {
    return json_response(200, {{"status", "success"}, {"leased", leased ? "1" : "0"}}, origin);
  };
  const LaterAnswer answer;  // as serve_number's
  if (!answer) return render(store.dni().heartbeat(held.partner_id, held.pool_id, held.session_id));
  store.dni().heartbeat_then(
      held.partner_id, held.pool_id, held.session_id,
      [answer, render](std::optional<bool> leased, const std::exception_ptr& error) {
        answer([&] {
          if (error) std::rethrow_exception(error);
          return render(*leased);
        });
      });
  return {};
}

// A page or app that knows the visitor is done (a form sent, an app closed) gives the number
// back: its lease ends now, grace and cooldown still follow, so the pool needs fewer numbers.
http::Response post_release(Store& store, DniSites& sites, const http::Request& request,
                            http::Params& params) {
  const auto held = read_pool_session(sites, request, params);
  const bool released = store.dni().release(held.partner_id, held.pool_id, held.session_id);
  return json_response(200, {{"status", "success"}, {"released", released ? "1" : "0"}},
                       held.cors_origin);
}

// Freespee's JSONP request: the path after /external/dncs/, either in the path itself or, as
// Freespee's script sends it, in /index.php?url=/external/dncs/...
std::optional<std::string> dncs_segments(const http::Request& request) {
  const auto path = request.path();
  if (path.starts_with(kDncsPrefix)) return std::string(path.substr(kDncsPrefix.size()));
  if (path != "/index.php") return std::nullopt;
  const auto url = http::Params::from_request(request).get("url");
  if (!url || !url->starts_with(kDncsPrefix)) return std::nullopt;
  return url->substr(kDncsPrefix.size());
}

http::Response jsonp_response(const std::string& callback, const Json& body,
                              const std::optional<std::string>& origin) {
  http::Response response{
      200, "application/javascript; charset=utf-8", {}, callback + "(" + to_json_text(body) + ");"};
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  add_cors_headers(response, origin);
  return response;
}

// Freespee's pre-flight: which numbers the page should look for, and whose they are; no
// number is taken.
http::Response dncs_preflight(Store& store, DniSites& sites, const http::Request& request,
                              const dni::DncsPathRequest& dncs, const VisitInput& input) {
  const auto served = locate(
      sites, request, dni::read_visit(input.url, input.referrer, input.ga_cookie), input.advid);
  const auto customer =
      store.customers().find_customer(served.site->partner_id, served.site->customer_id);
  if (!customer) refuse(404, "not_found", "advid", "no customer has this advid");
  Json numbers = Json::array();
  for (const auto& printed : served.pool->settings.numbers_to_replace) {
    numbers.push_back({{"number", format_national(printed)},
                       {"custnr", customer->custnr},
                       {"custname", customer->name}});
  }
  return jsonp_response(
      dncs.callback,
      {{"status", "success"}, {"advid", dncs.advid}, {"numbers_to_replace", numbers}},
      served.cors_origin);
}

// A script built for Freespee keeps its own cookies, so its visitor id is kept: the site
// chose to run it.
http::Response get_dncs(Store& store, DniSites& sites, const http::Request& request,
                        const std::string& segments) {
  auto parsed = dni::parse_dncs_path(segments);
  if (!parsed.request) {
    refuse(400, "invalid", parsed.bad_parameter,
           "'" + parsed.bad_parameter + "' is missing or malformed");
  }
  const auto& dncs = *parsed.request;
  const auto parameters = dni::parse_query(dncs.parameters);
  const auto ga = std::find_if(parameters.custom.begin(), parameters.custom.end(),
                               [](const auto& pair) { return pair.first == "_ga"; });
  const VisitInput input{
      .advid = dncs.advid,
      .session_id = dncs.session_id.empty() ? std::nullopt : std::optional(dncs.session_id),
      .visitor_id = dncs.tracking_id.empty() ? std::nullopt : std::optional(dncs.tracking_id),
      .consent = true,
      .url = dncs.url,
      .referrer = dncs.referrer,
      .ga_cookie = ga == parameters.custom.end() ? "" : ga->second};
  for (const auto& [name, id] :
       {std::pair{"advid", std::optional(input.advid)}, std::pair{"sessionId", input.session_id},
        std::pair{"trackingId", input.visitor_id}}) {
    if (id && !is_client_id(*id)) refuse(400, "invalid", name, std::string(name) + " is not an id");
  }
  require_no_nul(input.url, "url");
  require_no_nul(input.referrer, "referrer");
  require_no_nul(input.ga_cookie, "parameters");
  if (dncs.preflight) return dncs_preflight(store, sites, request, dncs, input);
  return serve_number(store, sites, request, input, [dncs](const Served& served) {
    if (!served.answer) {
      return jsonp_response(
          dncs.callback,
          {{"status", "fail"}, {"errors", Json::array({std::string(kBlockedUserAgent)})}},
          served.cors_origin);
    }
    const auto& answer = *served.answer;
    return jsonp_response(
        dncs.callback,
        {{"status", "success"},
         {"advid", dncs.advid},
         {"session_id", answer.session_id},
         {"tracking_id", answer.visitor_id.value_or("")},
         {"ext_track", ""},
         {"clear_cookie", false},
         {"cbw_enabled", false},
         {"numbers", dncs_numbers(*served.site, *served.pool, answer, dncs.numbers_to_replace)}},
        served.cors_origin);
  });
}

// A browser asks first (a CORS preflight) before a request it may not send unasked: a POST
// whose body is not form-encoded, or one with a header of its own.
bool is_cors_preflight(const http::Request& request) {
  return request.method == "OPTIONS" && request.header("origin") &&
         request.header("access-control-request-method");
}

// A list of header names as Access-Control-Request-Headers sends it: HTTP tokens separated
// by commas and spaces.
bool is_header_name_list(std::string_view names) {
  constexpr std::size_t kLongestList = 1000;
  return !names.empty() && names.size() <= kLongestList &&
         std::all_of(names.begin(), names.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  std::string_view("!#$%&'*+-.^_`|~, ").find(c) != std::string_view::npos;
         });
}

// The preflight comes before the request's body and names no pool: the origin must be allowed
// by one of the customer's pools (advid in the URL), and the request itself is checked against
// its pool as any other. The headers asked for are allowed: these paths read none but Origin,
// Referer and User-Agent, and only a form body. Other origins get no CORS header, so the
// browser sends nothing.
http::Response answer_preflight(DniSites& sites, const http::Request& request, http::Params& params,
                                const std::vector<std::string>& methods,
                                const std::string& methods_text) {
  constexpr std::string_view kPreflightSeconds = "600";
  Fields fields(params);
  const auto advid = read_client_id(fields, "advid", Presence::required);
  fields.throw_if_errors();
  const auto site = sites.require(*advid);
  const std::string origin(*request.header("origin"));
  if (std::none_of(site->pools.begin(), site->pools.end(), [&](const DniSitePool& pool) {
        return dni::is_allowed_origin(origin, pool.settings.allowed_origins);
      })) {
    refuse(403, "origin_not_allowed", "Origin", "this site may not ask for the customer's numbers");
  }
  const auto method = *request.header("access-control-request-method");
  if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
    refuse(405, "method_not_allowed", "Access-Control-Request-Method",
           "the request may not use this method here; use " + methods_text);
  }
  http::Response response{204, "application/json", {}, {}};
  add_cors_headers(response, origin);
  response.headers.emplace_back("Access-Control-Allow-Methods", methods_text);
  if (const auto asked = request.header("access-control-request-headers");
      asked && is_header_name_list(*asked)) {
    response.headers.emplace_back("Access-Control-Allow-Headers", std::string(*asked));
  }
  response.headers.emplace_back("Access-Control-Max-Age", std::string(kPreflightSeconds));
  return response;
}

std::optional<RateLimiter> address_limiter(double requests_per_minute) {
  if (requests_per_minute <= 0) return std::nullopt;
  return std::optional<RateLimiter>(std::in_place, requests_per_minute / 60.0, requests_per_minute);
}

}  // namespace

DniPublicApi::DniPublicApi(Store& store, const Clock& clock, double requests_per_minute,
                           WorkerPool* workers)
    : store_(store),
      clock_(clock),
      workers_(workers),
      sites_(store),
      per_address_(address_limiter(requests_per_minute)) {
  router_.add("GET", "/dni.js", [](const http::Request&, http::Params&) {
    http::Response response{
        200, "application/javascript; charset=utf-8", {}, std::string(browser_script())};
    // Sites load it on every page: a short cache keeps the load cheap and lets a new
    // version reach them within minutes.
    response.headers.emplace_back("Cache-Control", "public, max-age=300");
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return response;
  });
  router_.add("GET", "/dni/number", [this](const http::Request& request, http::Params& params) {
    return get_number(store_, sites_, request, params);
  });
  router_.add("POST", "/dni/number", [this](const http::Request& request, http::Params& params) {
    return get_number(store_, sites_, request, params);
  });
  router_.add("GET", "/dni/amp", [this](const http::Request& request, http::Params& params) {
    return get_amp_number(store_, sites_, request, params);
  });
  router_.add("POST", "/dni/heartbeat", [this](const http::Request& request, http::Params& params) {
    return post_heartbeat(store_, sites_, request, params);
  });
  router_.add("POST", "/dni/release", [this](const http::Request& request, http::Params& params) {
    return answer_from_worker(workers_, [this, request, params]() mutable {
      return post_release(store_, sites_, request, params);
    });
  });
}

std::optional<http::Response> DniPublicApi::refused_address(const http::Request& request) {
  if (!per_address_) return std::nullopt;
  const auto network = client_network(request.remote_address);
  const auto key = static_cast<std::int64_t>(std::hash<std::string>{}(network));
  const auto wait = per_address_->acquire(key, clock_.now());
  if (!wait) return std::nullopt;
  auto response = http::error_response(
      429, {"blocked_ip", "", "Blocked IP: too many number requests from this address"});
  response.headers.emplace_back("Retry-After", std::to_string(wait->count()));
  return response;
}

std::optional<http::Response> DniPublicApi::handle(const http::Request& request) {
  const auto path = request.path();
  if (!path.starts_with("/dni") && !path.starts_with(kDncsPrefix) && path != "/index.php") {
    return std::nullopt;
  }
  std::string_view route;
  const NameLaterAnswer naming(route, std::nullopt);
  auto answer = render_errors([&] {
    if (const auto segments = dncs_segments(request)) {
      route = "/external/dncs";
      if (auto refused = refused_address(request)) return std::move(*refused);
      return get_dncs(store_, sites_, request, *segments);
    }
    const auto match = router_.match(request.method, path);
    route = match.pattern;
    if (!match.handler && match.allowed_methods.empty()) return http::Response{};
    const bool preflight = !match.handler && route != "/dni.js" && is_cors_preflight(request);
    if (!match.handler && !preflight) {
      refuse(405, "method_not_allowed", "",
             request.method + " is not allowed here; use " + match.allow());
    }
    if (route != "/dni.js") {
      if (auto refused = refused_address(request)) return std::move(*refused);
    }
    auto params = http::Params::from_request(request);
    if (preflight) {
      return answer_preflight(sites_, request, params, match.allowed_methods, match.allow());
    }
    return (*match.handler)(request, params);
  });
  // Neither Freespee's path nor one of the routes: the partner API's to answer.
  if (route.empty()) return std::nullopt;
  answer.route = route;
  return answer;
}

}  // namespace callsight::api
