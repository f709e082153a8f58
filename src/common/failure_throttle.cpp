#include "common/failure_throttle.hpp"

#include <stdexcept>

namespace callsight {

FailureThrottle::FailureThrottle(int limit, std::chrono::seconds window, std::size_t max_keys)
    : limit_(limit), window_(window), windows_(max_keys) {
  if (limit < 1 || window < std::chrono::seconds(1)) {
    throw std::invalid_argument("a failure throttle needs a limit >= 1 and a window >= 1 s");
  }
}

std::optional<std::chrono::seconds> FailureThrottle::blocked_for(const std::string& key,
                                                                 std::chrono::sys_seconds now) {
  std::lock_guard lock(mutex_);
  forget_ended(now);
  const Window* window = windows_.find(key);
  if (window == nullptr || window->failures < limit_) return std::nullopt;
  return window->start + window_ - now;
}

void FailureThrottle::record_failure(const std::string& key, std::chrono::sys_seconds now) {
  std::lock_guard lock(mutex_);
  forget_ended(now);
  if (Window* window = windows_.find(key)) {
    ++window->failures;
    return;
  }
  windows_.renew(key) = Window{now, 1};
}

std::size_t FailureThrottle::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return windows_.size();
}

// Windows are renewed when they start, so the oldest ends first.
void FailureThrottle::forget_ended(std::chrono::sys_seconds now) {
  windows_.drop_oldest_while([&](const Window& window) { return window.start + window_ <= now; });
}

}  // namespace callsight
