#include "core/callback.hpp"

#include <utility>

namespace callsight {

Callback new_callback(Id customer_id, std::string agent_number, std::string requester_number,
                      TimePoint now) {
  Callback c;
  c.customer_id = customer_id;
  c.caller_id = agent_number;
  c.agent_number = std::move(agent_number);
  c.requester_number = std::move(requester_number);
  c.scheduled = now;
  return c;
}

}  // namespace callsight
