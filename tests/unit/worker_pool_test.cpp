#include "common/worker_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include "common/cpu_slots.hpp"

namespace callsight {
namespace {

// Long enough that no wait for a slot gives up and runs without one (an overrun).
constexpr std::chrono::seconds kPatient{30};

TEST(WorkerPool, RunsJobsOffThePostingThreadInTheOrderPosted) {
  std::mutex mutex;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  {
    WorkerPool pool(1, nullptr);
    for (int i = 0; i < 5; ++i) {
      pool.post([&, i] {
        const std::lock_guard lock(mutex);
        order.push_back(i);
        threads.push_back(std::this_thread::get_id());
      });
    }
    pool.stop();
    EXPECT_EQ(pool.stats().jobs, 5U);
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(std::count(threads.begin(), threads.end(), std::this_thread::get_id()), 0);
}

TEST(WorkerPool, StopRunsTheJobsQueuedAndDropsTheOnesPostedAfter) {
  WorkerPool pool(1, nullptr);
  std::binary_semaphore running(0);
  std::binary_semaphore release(0);
  std::atomic<int> ran = 0;
  pool.post([&] {
    running.release();
    release.acquire();
    ++ran;
  });
  running.acquire();
  for (int i = 0; i < 3; ++i) pool.post([&] { ++ran; });
  const auto stats = pool.stats();
  EXPECT_EQ(stats.busy, 1U);
  EXPECT_EQ(stats.queued, 3U);
  std::thread stopper([&] { pool.stop(); });
  release.release();
  stopper.join();
  EXPECT_EQ(ran.load(), 4);
  pool.post([&] { ++ran; });
  EXPECT_EQ(ran.load(), 4);
  EXPECT_EQ(pool.stats().queued, 0U);
}

// The threads exist for jobs that sleep; the work between their sleeps still takes turns on
// the cores like an io thread's, or the pool would bring back the slicing the slots prevent.
TEST(WorkerPool, EachJobRunsInACpuSlot) {
  CpuSlots slots(1, kPatient);
  std::atomic<int> running = 0;
  std::atomic<int> most = 0;
  {
    WorkerPool pool(4, &slots);
    for (int i = 0; i < 12; ++i) {
      pool.post([&] {
        const int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --running;
      });
    }
  }
  EXPECT_EQ(most.load(), 1);
  EXPECT_GE(slots.stats().taken, 12U);
}

TEST(WorkerPool, AJobThatGivesItsSlotBackLetsTheNextOneRun) {
  CpuSlots slots(1, kPatient);
  std::binary_semaphore second_ran(0);
  std::atomic<bool> first_saw_the_second = false;
  {
    WorkerPool pool(2, &slots);
    pool.post([&] {
      const CpuSlotReleased waiting;  // as a request waiting for its commit
      first_saw_the_second = second_ran.try_acquire_for(std::chrono::seconds(10));
    });
    pool.post([&] { second_ran.release(); });
  }
  EXPECT_TRUE(first_saw_the_second.load());
}

}  // namespace
}  // namespace callsight
