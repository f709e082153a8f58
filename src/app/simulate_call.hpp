#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace callsight::app {

// `callsight simulate-call`: plays one call against the switch listener the way the Kamailio
// edge does (docs/kamailio.md, "Switch contract"), without SIP.
struct SimulateCallOptions {
  std::string caller;
  std::string dialled;
  std::chrono::seconds answer_after{2};  // ringing -> answered, or -> failed 408 on no answer
  std::chrono::seconds talk{10};         // answered (or voicemail) -> hangup
  bool busy = false;                     // the callee answers 486
  bool no_answer = false;                // the callee rings until 408
  bool real_time = false;                // wait between events instead of only stamping `at`
  std::string switch_url = "http://127.0.0.1:8081";
  std::string secret;
};

struct SwitchUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string base_path;  // prepended to /switch/...; empty or "/prefix" without trailing '/'
};

// "http://host[:port][/prefix]"; throws std::invalid_argument for anything else (https too).
SwitchUrl parse_switch_url(const std::string& url);

// One event the simulated edge reports, `offset` after the route request.
struct PlannedEvent {
  std::string event;
  std::string sip_status;
  std::chrono::seconds offset{0};
};

// What the edge would report for this route answer; empty for reject. Throws
// std::runtime_error for an answer the edge could not use (it would reply 503).
std::vector<PlannedEvent> plan_events(const nlohmann::json& route_answer,
                                      const SimulateCallOptions& options);

// The switch secret from environment variable `name`; throws std::invalid_argument when it is
// unset or empty, so the command never sends a request that can only be refused.
std::string secret_from_env(const std::string& name);

// Runs the call, printing one line per step to `out` and finally the cdr_id. Throws
// std::runtime_error on HTTP failures, non-2xx answers and a refused secret.
void simulate_call(const SimulateCallOptions& options, const Clock& clock, std::ostream& out);

}  // namespace callsight::app
