#include "common/periodic_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace callsight {
namespace {

// Counts passes and lets the test wait for a number of them without sleeping blindly.
struct PassLog {
  std::mutex mutex;
  std::condition_variable changed;
  int passes = 0;
  int errors = 0;

  void wait_for_passes(int n) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return passes >= n; });
  }
};

TEST(PeriodicThread, RunsAPassAtOnceAndAgainAfterAFailedOne) {
  PassLog log;
  PeriodicThread thread;
  thread.start(
      std::chrono::milliseconds(1),
      [&] {
        std::lock_guard lock(log.mutex);
        ++log.passes;
        log.changed.notify_all();
        if (log.passes == 1) throw std::runtime_error("the store is away");
      },
      [&](const std::exception& e) {
        EXPECT_STREQ(e.what(), "the store is away");
        std::lock_guard lock(log.mutex);
        ++log.errors;
      });
  log.wait_for_passes(3);
  thread.stop();
  std::lock_guard lock(log.mutex);
  EXPECT_EQ(log.errors, 1);
  EXPECT_GE(log.passes, 3);
}

TEST(PeriodicThread, StopWakesItFromALongWaitAndNoPassRunsAfter) {
  PassLog log;
  std::atomic<int> passes{0};
  PeriodicThread thread;
  thread.start(
      std::chrono::hours(1),
      [&] {
        ++passes;
        std::lock_guard lock(log.mutex);
        ++log.passes;
        log.changed.notify_all();
      },
      [](const std::exception&) {});
  log.wait_for_passes(1);
  thread.stop();  // would block for an hour if the wait were not woken
  thread.stop();  // a second stop is harmless
  EXPECT_EQ(passes.load(), 1);
}

TEST(PeriodicThread, AThreadNeverStartedStopsAtOnce) {
  PeriodicThread thread;
  thread.stop();
}

}  // namespace
}  // namespace callsight
