#pragma once

#include <cstddef>
#include <vector>

#include "core/clock.hpp"

// How big a pool should be, from the traffic it saw. A number counts as held from its
// assignment until it may go to another visitor (lease, grace and cooldown all count): that is
// the time it is unavailable, not just the time it is shown.
namespace callsight::dni {

struct HeldInterval {
  TimePoint assigned_at;
  TimePoint held_until;  // free_at() of the assignment; an interval is [assigned_at, held_until)
};

// The most numbers held at one moment. A number freed at t and one assigned at t do not overlap.
std::size_t peak_held(std::vector<HeldInterval> intervals);

// The peak with 25% headroom, rounded up, and at least the peak plus one (a visitor arriving at
// the peak still gets a number) and at least 4, a practitioners' floor for small sites whose
// peak says little.
std::size_t recommended_size(std::size_t peak);

struct PoolHealth {
  std::size_t peak_held = 0;
  std::size_t exhaustion_events = 0;  // fallback shown because every number was held
  std::size_t recommended_size = 0;
};

PoolHealth pool_health(std::vector<HeldInterval> intervals, std::size_t exhaustion_events);

}  // namespace callsight::dni
