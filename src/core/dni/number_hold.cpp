#include "core/dni/number_hold.hpp"

#include <algorithm>

namespace callsight::dni {
namespace {

Hold stages(const Assignment& assignment, const PoolTiming& timing) {
  Hold hold;
  hold.lease_ends = assignment.last_seen_at + timing.lease;
  if (assignment.released_at) hold.lease_ends = std::min(hold.lease_ends, *assignment.released_at);
  hold.grace_ends = hold.lease_ends + timing.grace;
  hold.free_at = hold.grace_ends + timing.cooldown;
  return hold;
}

HoldState state_at(const Hold& hold, TimePoint now) {
  if (now < hold.lease_ends) return HoldState::leased;
  if (now < hold.grace_ends) return HoldState::grace;
  if (now < hold.free_at) return HoldState::cooldown;
  return HoldState::free;
}

}  // namespace

Hold hold_at(const Assignment& assignment, const PoolTiming& timing, TimePoint now) {
  Hold hold = stages(assignment, timing);
  hold.state = state_at(hold, now);
  hold.assignable = hold.state == HoldState::free;
  return hold;
}

TimePoint free_at(const Assignment& assignment, const PoolTiming& timing) {
  return stages(assignment, timing).free_at;
}

bool accept_heartbeat(Assignment& assignment, const PoolTiming& timing, TimePoint now) {
  if (hold_at(assignment, timing, now).state != HoldState::leased) return false;
  assignment.last_seen_at = std::max(assignment.last_seen_at, now);
  return true;
}

}  // namespace callsight::dni
