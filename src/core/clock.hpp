#pragma once

#include <atomic>
#include <chrono>

namespace callsight {

using TimePoint = std::chrono::sys_seconds;

// The one seam through which code reads the time, so tests control it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
};

// A clock that moves only when a test moves it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(std::chrono::seconds(now_.load())); }
  void set(TimePoint t) { now_ = t.time_since_epoch().count(); }
  void advance(std::chrono::seconds d) { now_ += d.count(); }

 private:
  std::atomic<std::chrono::seconds::rep> now_;
};

}  // namespace callsight
