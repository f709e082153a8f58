#include "api/api.hpp"

#include <memory>

#include "api/context.hpp"
#include "http/auth.hpp"
#include "http/error.hpp"

namespace callsight::api {
namespace {

std::optional<http::StoredCredentials> credentials_of(Store& store, std::string_view username) {
  const auto partner = store.find_partner_by_username(username);
  if (!partner) return std::nullopt;
  return http::StoredCredentials{partner->id, partner->password_hash, partner->digest_ha1_md5,
                                 partner->digest_ha1_sha256, partner->allowed_cidrs};
}

http::Response render_error(const http::HttpError& error) {
  auto response = http::error_response(error.status, error.errors);
  response.headers.insert(response.headers.end(), error.headers.begin(), error.headers.end());
  return response;
}

// Every node on one database signs Digest nonces with this shared secret, so a client whose
// requests a load balancer spreads over nodes keeps its nonce.
constexpr std::string_view kNonceSecretName = "digest_nonce";

class PartnerApi {
 public:
  PartnerApi(Store& store, const Clock& clock, ApiSettings settings)
      : store_(store),
        clock_(clock),
        settings_(settings),
        authenticator_(
            [&store](std::string_view username) { return credentials_of(store, username); }, clock,
            store.shared_secret(kNonceSecretName)) {
    register_ping(router_);
    register_customers(router_);
    register_users(router_);
    register_sources(router_);
    register_numbers(router_);
    register_campaigns(router_);
    register_voicemail_greetings(router_);
    register_blacklist(router_);
    register_orders(router_);
    register_callbacks(router_);
    register_pincodes(router_);
    register_statistics_cdrs(router_);
    register_webhooks(router_);
  }

  http::Response handle(const http::Request& request) {
    const auto match = router_.match(request.method, request.path());
    auto response = authenticate_and_dispatch(request, match);
    // Known even for a request refused before routing, so metrics name its route.
    response.route = match.pattern;
    return response;
  }

 private:
  http::Response authenticate_and_dispatch(const http::Request& request,
                                           const ApiRouter::Match& match) {
    // Authentication comes before routing, so strangers learn nothing about paths.
    auto auth = authenticator_.authenticate(request);
    if (!auth.ok) return std::move(auth.failure);
    const auto partner = store_.find_partner(auth.principal_id);
    if (!partner) return http::error_response(401, {"unauthorized", "", "account removed"});
    auto response = respond(request, match, *partner);
    response.principal_id = partner->id;
    return response;
  }

  http::Response respond(const http::Request& request, const ApiRouter::Match& match,
                         const Partner& partner) {
    try {
      return dispatch(request, match, partner);
    } catch (const http::HttpError& error) {
      return render_error(error);
    } catch (const ConflictError& conflict) {
      return http::error_response(409, {conflict.code(), conflict.field(), conflict.what()});
    } catch (const NotFoundError& missing) {
      return http::error_response(404, {"not_found", "", missing.what()});
    }
  }

  http::Response dispatch(const http::Request& request, const ApiRouter::Match& match,
                          const Partner& partner) {
    if (!match.handler) {
      if (match.allowed_methods.empty()) {
        throw http::HttpError{404, {{"not_found", "", "no such resource"}}, {}};
      }
      std::string allow;
      for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
      throw http::HttpError{
          405,
          {{"method_not_allowed", "", request.method + " is not allowed here; use " + allow}},
          {{"Allow", allow}}};
    }
    Context ctx{request, http::Params::from_request(request), partner, store_, clock_, settings_};
    for (const auto& value : match.path_values) ctx.params.add_path_value(value.name, value.value);
    return (*match.handler)(ctx);
  }

  Store& store_;
  const Clock& clock_;
  const ApiSettings settings_;
  http::Authenticator authenticator_;
  ApiRouter router_;
};

}  // namespace

http::Handler make_partner_api(Store& store, const Clock& clock, ApiSettings settings) {
  auto api = std::make_shared<PartnerApi>(store, clock, settings);
  return [api](const http::Request& request) { return api->handle(request); };
}

}  // namespace callsight::api
