#include "common/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace callsight {
namespace {

std::chrono::seconds ceil_seconds(double seconds) {
  return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(std::ceil(seconds)));
}

// Checked before refill_time_ divides by it.
double checked_rate(double per_second, double burst) {
  if (!(per_second > 0) || !(burst >= 1)) {
    throw std::invalid_argument("a rate limit needs a positive rate and a burst of at least 1");
  }
  return per_second;
}

}  // namespace

RateLimiter::RateLimiter(double per_second, double burst, std::size_t max_keys)
    : per_second_(checked_rate(per_second, burst)),
      burst_(burst),
      refill_time_(ceil_seconds(burst / per_second_)),
      buckets_(max_keys) {}

std::optional<std::chrono::seconds> RateLimiter::acquire(std::int64_t key,
                                                         std::chrono::sys_seconds now) {
  std::lock_guard lock(mutex_);
  buckets_.drop_oldest_while(
      [&](const Bucket& bucket) { return now - bucket.updated >= refill_time_; });
  const bool known = buckets_.find(key) != nullptr;
  Bucket& bucket = buckets_.renew(key);
  if (!known) bucket = Bucket{burst_, now};
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, elapsed) * per_second_);
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  return std::max(std::chrono::seconds(1), ceil_seconds((1 - bucket.tokens) / per_second_));
}

std::size_t RateLimiter::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace callsight
