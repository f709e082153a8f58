#pragma once

#include <optional>
#include <string>

#include "store/store.hpp"

namespace callsight::app {

// Creates, when absent, the demo partner (demo/demo from 127.0.0.1 and ::1, SE,
// Europe/Stockholm) and 100 Swedish tracking numbers; returns a curl walk-through, with a
// simulated call when the switch API listens at switch_address.
std::string ensure_demo(Store& store, const std::string& server_address,
                        const std::optional<std::string>& switch_address);

}  // namespace callsight::app
