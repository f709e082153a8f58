#pragma once

#include <string>

#include "common/worker_pool.hpp"
#include "http/server.hpp"
#include "switch/call_router.hpp"
#include "switch/edge_metrics.hpp"

namespace callsight::switching {

// The switch API as an HTTP handler, for its own listener (never the partner API's port):
// POST /switch/route, /switch/events, /switch/events/batch and /switch/callbacks/claim, each
// with the header X-Callsight-Switch-Secret: <secret>. An empty secret refuses every request.
// The secret is checked before the path, so strangers learn nothing about the routes. The
// edges' spool reports go to `edges`. With `waiting`, the requests that wait for a write's
// commit (events, callback claims) run there and answer from there; whatever they refer to
// must outlive its jobs (WorkerPool::stop).
http::Handler make_switch_handler(CallRouter& router, EdgeMetrics& edges, std::string secret,
                                  WorkerPool* waiting = nullptr);

// The partner API `handler`, telling `router` once a request that may change a route was
// answered (any method but GET and HEAD outside /dni/), so the next call routed on this node
// follows it (CallRouter::routing_changed).
http::Handler noting_routing_changes(http::Handler handler, CallRouter& router);

}  // namespace callsight::switching
