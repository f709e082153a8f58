#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/dni/number_hold.hpp"

// Which visit made a call to a pool number, and why (or why none did). The verdict goes on the
// call record, so a partner can see the reasoning rather than trust it.
namespace callsight::dni {

enum class NoVisit {
  number_never_assigned,  // no hand-out of the number began before the call
  lease_and_grace_over,   // the last hand-out had ended its grace before the call
  shown_as_fallback,      // the fallback number: many visitors saw it, so it names none
  static_source,          // a static source's number: it was never dynamic
};

// The wire names above ("number_never_assigned", ...), for call records and webhooks.
std::string_view name_of(NoVisit reason);

struct Attribution {
  std::optional<Assignment> matched;    // set: the visit that made the call
  HoldState state = HoldState::free;    // leased or grace when matched
  bool ambiguous = false;               // several hand-outs could match; the latest was chosen
  std::optional<NoVisit> no_visit;      // set when nothing matched
  std::optional<TimePoint> last_ended;  // lease_and_grace_over: when the last grace ended
};

// `history` is every hand-out of the dialled number (any order). The call is matched to the
// hand-out that was leased, or in its grace, at `called_at`. Two such hand-outs cannot exist
// while the store allocates with pick_number; should they, the latest assigned wins and the
// verdict says so.
Attribution attribute_call(const std::vector<Assignment>& history, const PoolTiming& timing,
                           TimePoint called_at);

// The verdict's reason as call records keep it: "matched" (the number was leased at the
// call), "within_grace", or the NoVisit name.
std::string_view reason_name(const Attribution& attribution);

// The verdict for a call to a static source.
Attribution static_source_call();

// The verdict in one English sentence, times in UTC, e.g. "held by session S since
// 2026-01-01 10:02:00, last heartbeat 2026-01-01 10:15:00, called 2026-01-01 10:16:00 (lease)".
std::string explain(const Attribution& attribution, const PoolTiming& timing, TimePoint called_at);

}  // namespace callsight::dni
