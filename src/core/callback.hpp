#pragma once

#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/types.hpp"

namespace callsight {

// Reference §2.5: defaults follow the Kaisa page (retries 0; the older Freespee page said 1).
inline constexpr int kCallbackDefaultRetries = 0;
inline constexpr int kCallbackMaxRetries = 10;
inline constexpr int kCallbackDefaultRetryInterval = 300;  // seconds
inline constexpr int kCallbackMinRetryInterval = 30;
inline constexpr int kCallbackMaxRetryInterval = 86400;

// A scheduled call: the platform first calls the agent, then connects the requester.
struct Callback {
  Id id = 0;
  Id customer_id = 0;
  Id partner_id = 0;             // the customer's partner, filled when read
  std::string agent_number;      // wire "agent_nr", E.164, dialled first
  std::string requester_number;  // wire "requester_nr", E.164
  std::string caller_id;         // E.164 shown to the requester
  TimePoint scheduled;
  int retries = kCallbackDefaultRetries;               // further attempts after the first
  int retry_interval = kCallbackDefaultRetryInterval;  // seconds between attempts
  int attempts = 0;                                    // attempts the switch has started
  bool completed = false;
  std::optional<Id> cdr_id;
  std::optional<std::string> custom_dynamic;  // JSON text, kept as given
  int call_recording = 0;
  std::string created;
};

// A callback with the reference's defaults: scheduled as soon as possible (`now`), the
// agent's number shown to the requester.
Callback new_callback(Id customer_id, std::string agent_number, std::string requester_number,
                      TimePoint now);

}  // namespace callsight
