#include "api/api.hpp"

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "api/context.hpp"
#include "api/dni_public.hpp"
#include "api/dni_signed.hpp"
#include "api/recordings.hpp"
#include "common/expiring_cache.hpp"
#include "common/failure_throttle.hpp"
#include "common/rate_limiter.hpp"
#include "core/cidr.hpp"
#include "http/auth.hpp"
#include "http/error.hpp"
#include "store/partner_store.hpp"

namespace callsight::api {
namespace {

// Partners' credentials and settings are read from memory for this long after the database,
// so most requests open no transaction for authentication. A removed partner, a changed
// password or allow-list, and changed settings reach every node within it, whoever made the
// change (the API, the admin CLI, an import); docs/security.md.
constexpr auto kPartnerCacheLifetime = std::chrono::milliseconds(500);
constexpr std::size_t kCachedPartners = 10000;

// Unknown usernames are not remembered: a guesser must not fill the cache.
class PartnerCredentials {
 public:
  explicit PartnerCredentials(Store& store) : store_(store) {}

  // The lifetime is real time, whatever clock the API runs on.
  std::shared_ptr<const http::StoredCredentials> find(std::string_view username) {
    const auto now = std::chrono::steady_clock::now();
    if (auto cached = cache_.find(username, now)) return cached;
    auto partner = store_.partners().find_partner_by_username(username);
    if (!partner) {
      cache_.erase(username);
      return nullptr;
    }
    auto credentials = std::make_shared<http::StoredCredentials>();
    credentials->principal_id = partner->id;
    credentials->password_hash = partner->password_hash;
    credentials->digest_ha1_md5 = partner->digest_ha1_md5;
    credentials->digest_ha1_sha256 = partner->digest_ha1_sha256;
    credentials->allowed_cidrs = partner->allowed_cidrs;
    credentials->principal = std::move(*partner);
    cache_.put(username, credentials, now + kPartnerCacheLifetime, now);
    return credentials;
  }

 private:
  Store& store_;
  ExpiringCache<http::StoredCredentials, std::chrono::steady_clock::time_point> cache_{
      kCachedPartners};
};

http::Response render_error(const http::HttpError& error) {
  auto response = http::error_response(error.status, error.errors);
  response.headers.insert(response.headers.end(), error.headers.begin(), error.headers.end());
  return response;
}

// Not the request's fault and not a bug: the client may retry, and /readyz says why.
http::Response database_unavailable() {
  return http::unavailable_response(1, "the database is unavailable; retry later");
}

http::Response too_many_requests(std::chrono::seconds retry_after, http::ApiError error) {
  auto response = http::error_response(429, std::move(error));
  response.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return response;
}

std::optional<RateLimiter> rate_limiter_for(const AccessLimits& limits) {
  if (limits.rate_per_second <= 0) return std::nullopt;
  return std::optional<RateLimiter>(std::in_place, limits.rate_per_second, limits.rate_burst);
}

std::optional<FailureThrottle> login_throttle_for(const AccessLimits& limits) {
  if (limits.login_failures <= 0) return std::nullopt;
  return std::optional<FailureThrottle>(std::in_place, limits.login_failures,
                                        limits.login_failure_window);
}

std::string rate_limit_message(const AccessLimits& limits) {
  std::ostringstream out;
  out << "more than " << limits.rate_per_second << " requests per second (bursts of "
      << limits.rate_burst << ") from this partner";
  return out.str();
}

// Every node on one database signs Digest nonces with this shared secret, so a client whose
// requests a load balancer spreads over nodes keeps its nonce.
constexpr std::string_view kNonceSecretName = "digest_nonce";

class PartnerApi {
 public:
  PartnerApi(Store& store, const Clock& clock, const ApiSettings& settings,
             const AccessLimits& limits)
      : store_(store),
        clock_(clock),
        settings_(settings),
        dni_public_(store, clock, limits.dni_requests_per_ip_minute, settings.waiting_requests),
        partner_credentials_(store),
        authenticator_(
            [this](std::string_view username) { return partner_credentials_.find(username); },
            clock, store.shared_secret(kNonceSecretName), limits.digest_nonce_lifetime),
        rate_limiter_(rate_limiter_for(limits)),
        login_throttle_(login_throttle_for(limits)),
        rate_limit_message_(rate_limit_message(limits)) {
    register_partner_api(router_);
  }

  http::Response handle(const http::Request& request) {
    // A visitor's browser asks for numbers without credentials (api/dni_public.cpp).
    if (auto response = dni_public_.handle(request)) return std::move(*response);
    // A signed link to a recording's audio carries its own proof (api/recordings.cpp).
    if (auto response = handle_recording_audio(request, store_, clock_, settings_)) {
      return std::move(*response);
    }
    // A partner's backend signs its number requests instead (api/dni_signed.cpp).
    if (auto response =
            handle_signed_number_request(request, store_, clock_, settings_.waiting_requests)) {
      return std::move(*response);
    }
    ApiRouter::Match match;
    try {
      match = router_.match(request.method, request.path());
    } catch (const http::HttpError& error) {
      // A path whose percent escapes do not decode names no route, and says nothing about
      // the routes there are: a 400 before authentication, not an escaped exception (500).
      return render_error(error);
    }
    http::Response response;
    try {
      response = authenticate_and_dispatch(request, match);
    } catch (const UnavailableError&) {
      response = database_unavailable();
    }
    // Known even for a request refused before routing, so metrics name its route.
    response.route = match.pattern;
    return response;
  }

 private:
  http::Response authenticate_and_dispatch(const http::Request& request,
                                           const ApiRouter::Match& match) {
    // A client network that guessed wrong too often is refused before its password is checked
    // again, even a right one: otherwise the throttle would tell a guesser when it hit.
    const std::string client = client_network(request.remote_address);
    if (const auto wait =
            login_throttle_ ? login_throttle_->blocked_for(client, clock_.now()) : std::nullopt) {
      return too_many_requests(*wait, {"too_many_failed_logins", "",
                                       "too many failed logins from " + client + "; retry after " +
                                           std::to_string(wait->count()) + " s"});
    }
    // Authentication comes before routing, so strangers learn nothing about paths.
    auto auth = authenticator_.authenticate(request);
    if (!auth.ok) {
      if (auth.wrong_credentials && login_throttle_)
        login_throttle_->record_failure(client, clock_.now());
      return std::move(auth.failure);
    }
    // The partner as authentication just read it: one database round trip less per request.
    const auto* partner = std::any_cast<Partner>(&auth.credentials->principal);
    const auto wait =
        rate_limiter_ ? rate_limiter_->acquire(partner->id, clock_.now()) : std::nullopt;
    auto response = wait ? too_many_requests(*wait, {"rate_limited", "",
                                                     rate_limit_message_ + "; retry after " +
                                                         std::to_string(wait->count()) + " s"})
                         : respond(request, match, *partner);
    response.principal_id = partner->id;
    return response;
  }

  http::Response respond(const http::Request& request, const ApiRouter::Match& match,
                         const Partner& partner) {
    const NameLaterAnswer naming(match.pattern, partner.id);
    if (match.handler && waits_for_commit(request.method, *match.handler)) {
      return answer_from_worker(settings_.waiting_requests, [this, request, match, partner] {
        return dispatch(request, match, partner);
      });
    }
    return render_errors([&] { return dispatch(request, match, partner); });
  }

  http::Response dispatch(const http::Request& request, const ApiRouter::Match& match,
                          const Partner& partner) {
    if (!match.handler) {
      if (match.allowed_methods.empty()) {
        throw http::HttpError{404, {{"not_found", "", "no such resource"}}, {}};
      }
      const auto allow = match.allow();
      throw http::HttpError{
          405,
          {{"method_not_allowed", "", request.method + " is not allowed here; use " + allow}},
          {{"Allow", allow}}};
    }
    Context ctx{request, http::Params::from_request(request), partner, store_, clock_, settings_};
    for (const auto& value : match.path_values) ctx.params.add_path_value(value.name, value.value);
    return match.handler->handle(ctx);
  }

  Store& store_;
  const Clock& clock_;
  const ApiSettings settings_;
  DniPublicApi dni_public_;
  PartnerCredentials partner_credentials_;
  http::Authenticator authenticator_;
  ApiRouter router_;
  std::optional<RateLimiter> rate_limiter_;
  std::optional<FailureThrottle> login_throttle_;
  const std::string rate_limit_message_;
};

}  // namespace

void register_partner_api(ApiRouter& router) {
  register_ping(router);
  register_customers(router);
  register_users(router);
  register_sources(router);
  register_pools(router);
  register_pool_health(router);
  register_visitors(router);
  register_callers(router);
  register_numbers(router);
  register_campaigns(router);
  register_voicemail_greetings(router);
  register_blacklist(router);
  register_orders(router);
  register_callbacks(router);
  register_pincodes(router);
  register_statistics_cdrs(router);
  register_webhooks(router);
  register_recordings(router);
}

http::Response render_errors(const std::function<http::Response()>& handler) {
  try {
    return handler();
  } catch (const http::HttpError& error) {
    return render_error(error);
  } catch (const ConflictError& conflict) {
    return http::error_response(409, {conflict.code(), conflict.field(), conflict.what()});
  } catch (const NotFoundError& missing) {
    return http::error_response(404, {"not_found", "", missing.what()});
  } catch (const UnavailableError&) {
    return database_unavailable();
  }
}

http::Respond NameLaterAnswer::wrap(http::Respond send) {
  return [send = std::move(send), route = std::string(route_),
          partner_id = partner_id_](http::Response response) {
    response.route = route;
    response.principal_id = partner_id;
    send(std::move(response));
  };
}

bool waits_for_commit(std::string_view method, const ResourceHandler& handler) {
  return method != "GET" && method != "HEAD" && !handler.answers_later;
}

http::Response answer_from_worker(WorkerPool* workers, std::function<http::Response()> handler) {
  if (workers == nullptr) return render_errors(handler);
  LaterAnswer answer;
  if (!answer) return render_errors(handler);
  workers->post([answer = std::move(answer), handler = std::move(handler)] { answer(handler); });
  return {};
}

void LaterAnswer::operator()(const std::function<http::Response()>& render) const noexcept {
  respond_(http::answer_or_internal_error([&] { return render_errors(render); },
                                          "an answer given later"));
}

std::vector<std::pair<std::string, std::string>> partner_api_routes() {
  ApiRouter router;
  register_partner_api(router);
  return router.routes();
}

http::Handler make_partner_api(Store& store, const Clock& clock, const ApiSettings& settings,
                               AccessLimits limits) {
  auto api = std::make_shared<PartnerApi>(store, clock, settings, limits);
  return [api](const http::Request& request) { return api->handle(request); };
}

}  // namespace callsight::api
