// The switch API's JSON request bodies (POST /switch/route, /switch/events,
// /switch/callbacks/claim).
#include <string>
#include <variant>

#include "fuzz_target.hpp"
#include "switch/switch_wire.hpp"

CALLSIGHT_FUZZ_TARGET(switch_wire) {
  using namespace callsight;
  using namespace callsight::switching;
  const auto route = parse_route_request(input);
  if (const auto* request = std::get_if<RouteRequest>(&route)) {
    // Echoed back in decisions: rendering must cope with whatever bytes were accepted.
    RouteDecision decision;
    decision.action = RouteAction::forward;
    decision.destination = request->dialled;
    decision.caller_id = request->caller;
    render_decision(decision);
    render_callback_dials({{request->switch_call_id, 1, 1, request->dialled, request->caller,
                            request->caller, false}});
  }
  const auto event = parse_event_request(input);
  if (const auto* request = std::get_if<EventRequest>(&event)) {
    CallRecord record;
    record.switch_call_id = request->switch_call_id;
    apply_call_event(record, request->event);
    call_status(record);
    call_duration_seconds(record);
    render_event_result(record);
  }
  parse_claim_request(input);
}
