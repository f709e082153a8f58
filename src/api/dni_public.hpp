#pragma once

#include <functional>
#include <optional>

#include "api/dni_requests.hpp"
#include "common/rate_limiter.hpp"
#include "common/worker_pool.hpp"
#include "core/clock.hpp"
#include "http/params.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

namespace callsight::api {

// The requests a visitor's browser makes for dynamic numbers (docs/dynamic-numbers.md, "The
// browser script"): the number requests in Callsight's JSON, Freespee's JSONP and
// amp-call-tracking's shapes, the heartbeat and the script itself. They carry no partner
// credentials: the customer is named by its uuid (`advid`), and the chosen pool's allowed
// origins decide which sites may ask. The partner API asks this first and serves what it
// leaves (nullopt: not one of these paths).
//
// Every request but the script itself counts against its client network's budget
// (core/cidr's client_network: an IPv4 address, an IPv6 /64) of `requests_per_minute`, which
// may also come at once; past it the answer is 429 "Blocked IP", as Freespee said, and the
// script shows the page's own number. 0 turns the cap off. Each node counts its own.
class DniPublicApi {
 public:
  // `workers`: where a release, which waits for its write's commit, runs (answer_from_worker).
  DniPublicApi(Store& store, const Clock& clock, double requests_per_minute, WorkerPool* workers);

  std::optional<http::Response> handle(const http::Request& request);

  using Handler = std::function<http::Response(const http::Request&, http::Params&)>;

 private:
  std::optional<http::Response> refused_address(const http::Request& request);

  Store& store_;
  const Clock& clock_;
  WorkerPool* const workers_;
  DniSites sites_;
  std::optional<RateLimiter> per_address_;
  http::Router<Handler> router_;
};

}  // namespace callsight::api
