#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/number_route.hpp"
#include "store/source_store.hpp"

namespace callsight::switching {

// An edge's copy of every route (docs/kamailio.md, "Routes at the edge"), one text line per
// entry, fields separated by '|':
//   r|<dialled form>|<tracking number>|<customer id>|<action>|<sip status>|<reason>|
//     <answering number>|<shown: tracking or caller>|<record>|<voicemail on busy>|
//     <voicemail on no answer>|<quarantined>|<valid until, Unix seconds>|<notice>|
//     <whisper source id or empty>|<voicemail greeting id or empty>
//   b|<customer id>|<caller form>        (a caller the customer refuses)
// Lines are sorted and the version is a digest of them, so every node that reads the same
// data within one validity window gives the same table and version.
struct EdgeRouteTable {
  std::vector<std::string> entries;
  std::string version;
  TimePoint computed_at;  // the `now` it holds for
  // When it was worked out, to the microsecond (TimePoint has whole seconds): what an edge
  // holding it is current as of.
  std::chrono::system_clock::time_point worked_out_at;
};

// core's number_route_with_validity of a number in use at `now`, from what the routing table
// holds of it; throws what it throws (e.g. a stored time zone the rules cannot read).
TimedNumberRoute route_of(const RoutableNumber& routable, TimePoint now);

// core/number_route's route of each number at `now` under each form a switch may dial it
// in, and each blacklist entry under each form a switch may deliver the caller in.
EdgeRouteTable build_edge_routes(const RoutingTable& table, TimePoint now);

}  // namespace callsight::switching
