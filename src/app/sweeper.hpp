#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/store.hpp"

namespace callsight::app {

// Runs Store::sweep_sources() periodically so released numbers return to the inventory.
// Statuses are right without it; the sweep only applies side effects. A source that fails goes
// to `on_failure` (app/job_rows) and the sweep goes on with the others.
class Sweeper {
 public:
  Sweeper(Store& store, std::chrono::seconds interval, RowFailureHandler on_failure);
  ~Sweeper();  // stops and joins
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

 private:
  void loop();

  void sweep();

  Store& store_;
  const std::chrono::seconds interval_;
  const RowFailureHandler on_failure_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace callsight::app
