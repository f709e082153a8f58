#include "core/dni/pool_health.hpp"

#include <algorithm>
#include <utility>

namespace callsight::dni {
namespace {

constexpr std::size_t kMinimumPoolSize = 4;

}  // namespace

std::size_t peak_held(std::vector<HeldInterval> intervals) {
  // +1 at each start, -1 at each end; at equal times ends sort first (false < true).
  std::vector<std::pair<TimePoint, bool>> events;
  events.reserve(intervals.size() * 2);
  for (const auto& interval : intervals) {
    if (interval.held_until <= interval.assigned_at) continue;
    events.emplace_back(interval.assigned_at, true);
    events.emplace_back(interval.held_until, false);
  }
  std::sort(events.begin(), events.end());
  std::size_t held = 0;
  std::size_t peak = 0;
  for (const auto& [at, starts] : events) {
    held = starts ? held + 1 : held - 1;
    peak = std::max(peak, held);
  }
  return peak;
}

std::size_t recommended_size(std::size_t peak) {
  const std::size_t with_headroom = (peak * 5 + 3) / 4;  // ceil(peak * 1.25)
  return std::max({with_headroom, peak + 1, kMinimumPoolSize});
}

PoolHealth pool_health(std::vector<HeldInterval> intervals, std::size_t exhaustion_events) {
  const auto peak = peak_held(std::move(intervals));
  return {peak, exhaustion_events, recommended_size(peak)};
}

}  // namespace callsight::dni
