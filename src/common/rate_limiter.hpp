#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>

#include "common/recency_map.hpp"

namespace callsight {

// A token bucket per key (a partner): each holds up to `burst` requests and refills at
// `per_second`. Buckets idle long enough to be full again are forgotten, since a new one is
// the same; at most max_keys are kept (the least recently used goes first). The caller passes
// the time of each request (from its clock), so tests control it.
class RateLimiter {
 public:
  static constexpr std::size_t kDefaultMaxKeys = 100000;

  // per_second > 0; burst >= 1.
  RateLimiter(double per_second, double burst, std::size_t max_keys = kDefaultMaxKeys);

  // Spends one token of key's bucket: nullopt when there was one, otherwise how long until
  // there is (whole seconds, rounded up, at least 1).
  std::optional<std::chrono::seconds> acquire(std::int64_t key, std::chrono::sys_seconds now);

  std::size_t tracked_keys() const;

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::sys_seconds updated;
  };

  const double per_second_;
  const double burst_;
  const std::chrono::seconds refill_time_;  // an untouched bucket is full after this
  mutable std::mutex mutex_;
  RecencyMap<std::int64_t, Bucket> buckets_;  // guarded by mutex_
};

}  // namespace callsight
