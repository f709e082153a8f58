#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/cpu_slots.hpp"

namespace callsight {

// Threads for jobs that may sleep, so that the threads that own sockets never do: a partner
// API request that waits for its write's durable commit runs here, and the io threads stay
// one per core. With more io threads than cores (they were four per core so that blocked
// handlers left some free), every thread woken by socket events waited for the running one's
// scheduler slice: a ping's p99 of 11 ms beside a p50 of 0.46 (bench/README.md, "One io
// thread per core"). Jobs start in order of arrival, each in a CPU slot of `slots` (when
// given), which its waits give back (CpuSlotReleased) as on an io thread.
class WorkerPool {
 public:
  using Job = std::function<void()>;

  // `threads` at least 1; `slots` may be null (no slots: jobs run as they come).
  WorkerPool(std::size_t threads, CpuSlots* slots);
  // stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job` for the next free thread. A job must not throw (what it throws ends the
  // process); jobs posted after stop() are dropped.
  void post(Job job);

  // Runs the jobs queued, then joins the threads. Whoever owns what the jobs refer to (a
  // server whose connections they answer) calls it before that goes.
  void stop();

  std::size_t size() const { return threads_.size(); }

  struct Stats {
    std::uint64_t jobs = 0;  // jobs run
    std::size_t queued = 0;  // jobs waiting for a thread now
    std::size_t busy = 0;    // threads running a job now
  };
  Stats stats() const;

 private:
  void work();

  CpuSlots* const slots_;
  mutable std::mutex mutex_;
  std::condition_variable wanted_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::vector<std::thread> threads_;
};

}  // namespace callsight
