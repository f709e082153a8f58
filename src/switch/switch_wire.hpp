#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/call_record.hpp"
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
struct EventRequest {
  std::string switch_call_id;
  CallEvent event;
};

std::variant<RouteRequest, WireError> parse_route_request(std::string_view body);
std::variant<EventRequest, WireError> parse_event_request(std::string_view body);
// {"limit": N}; N from 1 to kMaxClaim, 10 when absent.
std::variant<int, WireError> parse_claim_request(std::string_view body);
inline constexpr int kMaxClaim = 100;

std::string render_decision(const RouteDecision& decision);
std::string render_event_result(const CallRecord& record);
std::string render_callback_dials(const std::vector<CallbackDial>& dials);

}  // namespace callsight::switching
