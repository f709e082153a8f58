#include "switch/switch_api.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>

#include "common/crypto.hpp"
#include "common/worker_pool.hpp"
#include "http/deferred_response.hpp"
#include "http/error.hpp"
#include "http/router.hpp"
#include "store/store.hpp"
#include "switch/switch_wire.hpp"

namespace callsight::switching {
namespace {

class SwitchApi;
constexpr const char* kRoutePattern = "/switch/route";
// An operation takes the request body; the router picks it by method and path.
using Operation = http::Response (SwitchApi::*)(const std::string& body);
using SwitchRouter = http::Router<Operation>;

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

http::Response bad_request(const WireError& error) {
  return http::error_response(400, {"invalid", error.field, error.message});
}

http::Response method_not_allowed(const std::string& allow) {
  auto response = http::error_response(405, {"method_not_allowed", "", "use " + allow});
  response.headers.emplace_back("Allow", allow);
  return response;
}

class SwitchApi {
 public:
  SwitchApi(CallRouter& router, EdgeMetrics& edges, std::string secret, WorkerPool* waiting)
      : router_(router), edges_(edges), secret_(std::move(secret)), waiting_(waiting) {
    routes_.add("POST", kRoutePattern, &SwitchApi::route);
    routes_.add("POST", "/switch/events", &SwitchApi::event);
    routes_.add("POST", "/switch/events/batch", &SwitchApi::event_batch);
    routes_.add("POST", "/switch/routes", &SwitchApi::edge_routes);
    routes_.add("POST", "/switch/callbacks/claim", &SwitchApi::claim);
  }

  http::Response handle(const http::Request& request) {
    const auto match = routes_.match(request.method, request.path());
    auto response = respond(request, match);
    if (!match.pattern.empty()) response.route = std::string(match.pattern);
    return response;
  }

 private:
  http::Response respond(const http::Request& request, const SwitchRouter::Match& match) {
    if (!secret_matches(request, secret_)) {
      return http::error_response(
          401, {"unauthorized", "X-Callsight-Switch-Secret", "missing or wrong switch secret"});
    }
    if (match.handler == nullptr) {
      if (!match.allowed_methods.empty()) return method_not_allowed(match.allow());
      return http::error_response(404, {"not_found", "", "no such switch resource"});
    }
    const Operation operation = *match.handler;
    if (waits_for_commit(operation) && waiting_ != nullptr) {
      if (auto respond = http::defer_response()) {
        waiting_->post([this, operation, respond = std::move(respond), body = request.body,
                        route = std::string(match.pattern)] {
          auto response = run(operation, body, route);
          response.route = route;  // as handle() names the route of an answer it returns
          respond(std::move(response));
        });
        return {};
      }
    }
    return answer(operation, request.body);
  }

  // The operation's answer, or the answer to its failure; rethrows what the server answers
  // 500 for.
  http::Response answer(Operation operation, const std::string& body) {
    try {
      return (this->*operation)(body);
    } catch (...) {
      return failure_response(std::current_exception());
    }
  }

  // Events and callback claims sleep until their write is durable: on SQLite they run on the
  // waiting threads (common/worker_pool.hpp), so that the io threads, one per core, never
  // sleep on the disk. A route answers later by itself; the routes table is a read.
  static bool waits_for_commit(Operation operation) {
    return operation != &SwitchApi::route && operation != &SwitchApi::edge_routes;
  }

  // An operation's answer, off the io thread, where no server catches what escapes it.
  http::Response run(Operation operation, const std::string& body, std::string_view route) {
    return http::answer_or_internal_error([&] { return answer(operation, body); }, route);
  }

  // The answer to a failure given later; `what` names the request in the log.
  static http::Response settled(const std::exception_ptr& error, std::string_view what) {
    return http::answer_or_internal_error([&] { return failure_response(error); }, what);
  }

  // What a handler's failure answers; rethrows what the server answers 500 for.
  static http::Response failure_response(const std::exception_ptr& error) {
    try {
      std::rethrow_exception(error);
    } catch (const NotFoundError& missing) {
      return http::error_response(404, {"not_found", "call_id", missing.what()});
    } catch (const UnavailableError&) {
      // The edge answers the caller itself (docs/kamailio.md) and may ask again.
      return http::unavailable_response(1, "the database is unavailable; retry later");
    }
  }

  // Answered once the call's record is durable: under the server, without holding this
  // request's thread meanwhile (CallRouter::route_then).
  http::Response route(const std::string& body) {
    auto parsed = parse_route_request(body);
    if (auto* error = std::get_if<WireError>(&parsed)) return bad_request(*error);
    const auto& request = std::get<RouteRequest>(parsed);
    auto respond = http::defer_response();
    if (!respond) return json_response(render_decision(router_.route(request)));
    router_.route_then(
        request, [respond = std::move(respond), call = request.switch_call_id](
                     std::optional<RouteDecision> decision, const std::exception_ptr& error) {
          auto response = decision ? json_response(render_decision(*decision))
                                   : settled(error, "POST /switch/route: call " + call);
          response.route = kRoutePattern;  // as handle() names the route of an answer it returns
          respond(std::move(response));
        });
    return {};
  }

  http::Response event(const std::string& body) {
    auto parsed = parse_event_request(body);
    if (auto* error = std::get_if<WireError>(&parsed)) return bad_request(*error);
    const auto& request = std::get<EventRequest>(parsed);
    return json_response(
        render_event_result(router_.report(request.switch_call_id, request.event)));
  }

  // Unreadable events are skipped, not refused with the batch: the edge would send them again
  // and again, and hold up every event behind them.
  http::Response event_batch(const std::string& body) {
    auto parsed = parse_event_batch(body);
    if (auto* error = std::get_if<WireError>(&parsed)) return bad_request(*error);
    const auto& batch = std::get<EventBatch>(parsed);
    for (const auto& skipped : batch.skipped) {
      spdlog::warn("edge {}: event {} of a batch skipped: {}", batch.spool.edge, skipped.index,
                   skipped.error.message);
    }
    const std::size_t unknown_routed =
        batch.routed.size() - router_.record_edge_routed(batch.routed);
    auto outcome = router_.report_batch(batch.events);
    outcome.applied += batch.routed.size() - unknown_routed;
    outcome.unknown_calls += unknown_routed;
    edges_.observe(batch.spool, oldest_event(batch));
    return json_response(
        render_batch_result(outcome.applied, outcome.unknown_calls, batch.skipped.size()));
  }

  http::Response edge_routes(const std::string& body) {
    auto parsed = parse_routes_request(body);
    if (auto* error = std::get_if<WireError>(&parsed)) return bad_request(*error);
    const auto& request = std::get<RoutesRequest>(parsed);
    const auto table = router_.edge_routes();
    // Current once the edge holds this version: when it starts a sync with it (page 0, the
    // answer "unchanged"). Not when it is given a last page: it switches to the new copy only
    // after loading it, and not at all when the table changed between its pages; a later page
    // is asked with the version it is loading, not the one it holds.
    if (request.page == 0 && request.version == table->version) {
      edges_.routes_confirmed(request.edge, table->worked_out_at);
    }
    return json_response(render_routes_page(*table, request));
  }

  static std::optional<TimePoint> oldest_event(const EventBatch& batch) {
    std::optional<TimePoint> oldest;
    const auto consider = [&](TimePoint at) {
      if (!oldest || at < *oldest) oldest = at;
    };
    for (const auto& event : batch.events) consider(event.event.at);
    for (const auto& routed : batch.routed) consider(routed.at);
    return oldest;
  }

  http::Response claim(const std::string& body) {
    auto parsed = parse_claim_request(body);
    if (auto* error = std::get_if<WireError>(&parsed)) return bad_request(*error);
    return json_response(render_callback_dials(router_.claim_callbacks(std::get<int>(parsed))));
  }

  CallRouter& router_;
  EdgeMetrics& edges_;
  const std::string secret_;
  WorkerPool* waiting_;
  SwitchRouter routes_;
};

}  // namespace

http::Handler make_switch_handler(CallRouter& router, EdgeMetrics& edges, std::string secret,
                                  WorkerPool* waiting) {
  auto api = std::make_shared<SwitchApi>(router, edges, std::move(secret), waiting);
  return [api](const http::Request& request) { return api->handle(request); };
}

http::Handler noting_routing_changes(http::Handler handler, CallRouter& router) {
  // A change answered later (http/deferred_response.hpp) is noted again when its answer is
  // sent, once it committed: a routing snapshot read between the handler's return and the
  // commit would otherwise count as current without it.
  struct NoteWhenAnswered final : http::DeferralHook {
    explicit NoteWhenAnswered(CallRouter& router) : router(router) {}
    http::Respond wrap(http::Respond send) override {
      return [&router = router, send = std::move(send)](http::Response response) {
        router.routing_changed();
        send(std::move(response));
      };
    }
    CallRouter& router;
  };
  return [handler = std::move(handler), &router](const http::Request& request) {
    // Visitors' number requests and heartbeats (/dni/) change no route.
    const bool changes =
        request.method != "GET" && request.method != "HEAD" && !request.path().starts_with("/dni/");
    std::optional<NoteWhenAnswered> note_when_answered;
    if (changes) note_when_answered.emplace(router);
    auto response = handler(request);
    if (changes) router.routing_changed();
    return response;
  };
}

}  // namespace callsight::switching
