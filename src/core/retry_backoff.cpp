#include "core/retry_backoff.hpp"

#include <algorithm>

namespace callsight {

std::optional<TimePoint> next_retry(const RetryBackoff& backoff, TimePoint created, int attempts,
                                    TimePoint now) {
  auto delay = backoff.first_delay;
  // Doubling stops at the cap, so large attempt counts cannot overflow.
  for (int i = 1; i < attempts && delay < backoff.max_delay; ++i) delay *= 2;
  const TimePoint next = now + std::min(delay, backoff.max_delay);
  if (next > created + backoff.window) return std::nullopt;
  return next;
}

}  // namespace callsight
