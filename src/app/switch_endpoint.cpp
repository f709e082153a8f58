#include "app/switch_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <variant>

#include "common/crypto.hpp"
#include "http/error.hpp"
#include "store/store.hpp"
#include "switch/switch_wire.hpp"

namespace callsight::app {
namespace {

bool secret_matches(const http::Request& request, const std::string& secret) {
  const auto given = request.header("x-callsight-switch-secret");
  // Constant time, so the secret cannot be guessed byte by byte from response times.
  return !secret.empty() && given && crypto::constant_time_equals(*given, secret);
}

http::Response json_response(std::string body) {
  http::Response response;
  response.body = std::move(body);
  return response;
}

http::Response bad_request(const switching::WireError& error) {
  return http::error_response(400, {"invalid", error.field, error.message});
}

class SwitchEndpoint {
 public:
  SwitchEndpoint(switching::CallRouter& router, std::string secret)
      : router_(router), secret_(std::move(secret)) {}

  http::Response handle(const http::Request& request) {
    const auto path = request.path();
    const bool known =
        path == "/switch/route" || path == "/switch/events" || path == "/switch/callbacks/claim";
    auto response = respond(request, path, known);
    if (known) response.route = std::string(path);
    return response;
  }

 private:
  http::Response respond(const http::Request& request, std::string_view path, bool known) {
    if (!secret_matches(request, secret_)) {
      return http::error_response(
          401, {"unauthorized", "X-Callsight-Switch-Secret", "missing or wrong switch secret"});
    }
    if (!known) return http::error_response(404, {"not_found", "", "no such switch resource"});
    if (request.method != "POST") {
      auto response = http::error_response(405, {"method_not_allowed", "", "use POST"});
      response.headers.emplace_back("Allow", "POST");
      return response;
    }
    try {
      if (path == "/switch/route") return route(request.body);
      if (path == "/switch/events") return event(request.body);
      return claim(request.body);
    } catch (const NotFoundError& missing) {
      return http::error_response(404, {"not_found", "call_id", missing.what()});
    }
  }

  http::Response route(const std::string& body) {
    auto parsed = switching::parse_route_request(body);
    if (auto* error = std::get_if<switching::WireError>(&parsed)) return bad_request(*error);
    return json_response(
        switching::render_decision(router_.route(std::get<switching::RouteRequest>(parsed))));
  }

  http::Response event(const std::string& body) {
    auto parsed = switching::parse_event_request(body);
    if (auto* error = std::get_if<switching::WireError>(&parsed)) return bad_request(*error);
    const auto& request = std::get<switching::EventRequest>(parsed);
    return json_response(
        switching::render_event_result(router_.report(request.switch_call_id, request.event)));
  }

  http::Response claim(const std::string& body) {
    auto parsed = switching::parse_claim_request(body);
    if (auto* error = std::get_if<switching::WireError>(&parsed)) return bad_request(*error);
    return json_response(
        switching::render_callback_dials(router_.claim_callbacks(std::get<int>(parsed))));
  }

  switching::CallRouter& router_;
  const std::string secret_;
};

}  // namespace

http::Handler make_switch_handler(switching::CallRouter& router, std::string secret) {
  auto endpoint = std::make_shared<SwitchEndpoint>(router, std::move(secret));
  return [endpoint](const http::Request& request) { return endpoint->handle(request); };
}

}  // namespace callsight::app
