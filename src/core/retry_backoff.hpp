#pragma once

#include <chrono>
#include <optional>

#include "core/clock.hpp"

namespace callsight {

// How an outbox (webhooks, e-mail) retries a row that failed: exponential backoff from
// first_delay, doubling per failed attempt up to max_delay, for as long as the row is younger
// than `window`; then it gives up.
struct RetryBackoff {
  std::chrono::seconds first_delay;
  std::chrono::seconds max_delay;
  std::chrono::seconds window;
};

// When attempt number `attempts` (1-based, just failed) of a row made at `created` is
// retried; nullopt: give up.
std::optional<TimePoint> next_retry(const RetryBackoff& backoff, TimePoint created, int attempts,
                                    TimePoint now);

}  // namespace callsight
