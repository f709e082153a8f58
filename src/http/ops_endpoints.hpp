#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/server.hpp"

namespace callsight::http {

// What the operator endpoints serve; each function is called per request.
struct OpsEndpoints {
  // Clients allowed to read /metrics, as CIDRs; everyone else gets 404.
  std::vector<std::string> metrics_allow;
  std::function<std::string()> metrics;  // the exposition text
  // Why this node should not get traffic now, or nullopt when ready. Public: no secrets.
  std::function<std::optional<std::string>()> unready_reason;
};

// Serves GET/HEAD /healthz (200 while the process serves), /readyz (200 when ready, 503 with
// the reason otherwise) and /metrics (Prometheus text format, allowed clients only) before and
// without the inner handler's authentication; every other request goes to `inner`.
//
// /metrics is refused to requests that carry Forwarded or X-Forwarded-For: behind a reverse
// proxy on the same host every client would look like 127.0.0.1.
Handler with_ops_endpoints(Handler inner, OpsEndpoints ops);

}  // namespace callsight::http
