#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "store/store.hpp"
#include "switch/call_router.hpp"

namespace callsight::app {

// Ends the calls whose end never arrived (a lost BYE or event, an edge that restarted): once
// a call has been open for max_call_length it is closed with status unknown and a
// call.completed event (docs/kamailio.md, "Call end"). Each call is closed on its own, so a
// row that fails is logged, counted and skipped while the others are closed.
class CallSweep {
 public:
  CallSweep(switching::CallRouter& router, Store& store, const Clock& clock,
            std::chrono::seconds max_call_length, MetricsRegistry& metrics);

  // One pass: closes the overdue calls it finds (at most a batch); returns how many.
  int run_once();

 private:
  switching::CallRouter& router_;
  Store& store_;
  const Clock& clock_;
  const std::chrono::seconds max_call_length_;
  Counter& closed_;
  Counter& failures_;
};

// Runs a CallSweep every `interval` on a thread of its own until destroyed.
class CallSweeper {
 public:
  CallSweeper(CallSweep& sweep, std::chrono::seconds interval);
  ~CallSweeper();  // stops and joins
  CallSweeper(const CallSweeper&) = delete;
  CallSweeper& operator=(const CallSweeper&) = delete;

 private:
  void loop();

  CallSweep& sweep_;
  const std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace callsight::app
