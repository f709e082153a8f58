#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/call_record.hpp"
#include "store/call_record_store.hpp"
#include "switch/call_router.hpp"

namespace callsight::switching {

// What is wrong with a request body: the field at fault (empty for the body as a whole)
// and a message that names it.
struct WireError {
  std::string field;
  std::string message;
};

// The JSON bodies of the switch API (docs/kamailio.md, "Switch contract"). Every scalar is
// accepted as a string or a number, since switches build JSON from strings.
using EventRequest = SwitchCallEvent;

// What an edge says about its event spool with each delivery (docs/kamailio.md, "Event
// spool"): its name, the events left waiting behind this batch, and its running counts of
// events it dropped because the spool was full and of slots it gave up waiting for.
struct EdgeSpoolReport {
  std::string edge;
  long long depth = 0;
  long long dropped = 0;
  long long lost = 0;
};

// An event of a batch that could not be read: skipped, since sending it again cannot mend it.
struct SkippedEvent {
  std::size_t index = 0;
  WireError error;
};

// POST /switch/events/batch: the edge's spool report and its events, oldest first.
// "routed" events (calls the edge routed from its copy) come apart from the others: their
// records must exist before the others apply.
struct EventBatch {
  EdgeSpoolReport spool;
  std::vector<EdgeRoutedCall> routed;
  std::vector<SwitchCallEvent> events;
  std::vector<SkippedEvent> skipped;
};
inline constexpr std::size_t kMaxBatchEvents = 1000;

std::variant<RouteRequest, WireError> parse_route_request(std::string_view body);
std::variant<EventRequest, WireError> parse_event_request(std::string_view body);
// A body that is not a batch is refused whole; one unreadable event only skips that event.
std::variant<EventBatch, WireError> parse_event_batch(std::string_view body);
// {"limit": N}; N from 1 to kMaxClaim, 10 when absent.
std::variant<int, WireError> parse_claim_request(std::string_view body);
inline constexpr int kMaxClaim = 100;

// POST /switch/routes: the edge's name, the version of the copy it holds (or is fetching,
// for a page after the first) and the page it wants.
struct RoutesRequest {
  std::string edge;
  std::string version;
  std::size_t page = 0;
};
std::variant<RoutesRequest, WireError> parse_routes_request(std::string_view body);
inline constexpr std::size_t kRoutesPageSize = 200;
// {"version", "unchanged": "1"} for a first page asked with the current version; otherwise
// {"version", "unchanged": "0", "page", "pages", "entries": [...]}.
std::string render_routes_page(const EdgeRouteTable& table, const RoutesRequest& request);

std::string render_decision(const RouteDecision& decision);
std::string render_event_result(const CallRecord& record);
// {"applied": N, "unknown_calls": N, "skipped": N}
std::string render_batch_result(std::size_t applied, std::size_t unknown_calls,
                                std::size_t skipped);
std::string render_callback_dials(const std::vector<CallbackDial>& dials);

}  // namespace callsight::switching
