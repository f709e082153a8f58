#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "common/recency_map.hpp"

namespace callsight {

// Counts failures (wrong passwords) per key (a client network) in fixed windows: once a key
// has `limit` failures within `window` of its first, it is blocked until that window ends.
// Successes are not counted. Ended windows are forgotten; at most max_keys are kept (the
// oldest window goes first). The caller passes the time of each request (from its clock).
class FailureThrottle {
 public:
  static constexpr std::size_t kDefaultMaxKeys = 100000;

  // limit >= 1; window >= 1 s.
  FailureThrottle(int limit, std::chrono::seconds window, std::size_t max_keys = kDefaultMaxKeys);

  // nullopt when key may try now; otherwise how long until it may (at least 1 s).
  std::optional<std::chrono::seconds> blocked_for(const std::string& key,
                                                  std::chrono::sys_seconds now);
  void record_failure(const std::string& key, std::chrono::sys_seconds now);

  std::size_t tracked_keys() const;

 private:
  struct Window {
    std::chrono::sys_seconds start;
    int failures = 0;
  };

  void forget_ended(std::chrono::sys_seconds now);

  const int limit_;
  const std::chrono::seconds window_;
  mutable std::mutex mutex_;
  RecencyMap<std::string, Window> windows_;  // guarded by mutex_; renewed when a window starts
};

}  // namespace callsight
