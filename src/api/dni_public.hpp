#pragma once

#include <functional>
#include <optional>

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
class DniPublicApi {
 public:
  explicit DniPublicApi(Store& store);

  std::optional<http::Response> handle(const http::Request& request);

  using Handler = std::function<http::Response(const http::Request&, http::Params&)>;

 private:
  http::Response dispatch(const http::Request& request, const Handler& handler);

  Store& store_;
  http::Router<Handler> router_;
};

}  // namespace callsight::api
