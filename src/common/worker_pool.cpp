#include "common/worker_pool.hpp"

#include <algorithm>
#include <utility>

namespace callsight {

WorkerPool::WorkerPool(std::size_t threads, CpuSlots* slots) : slots_(slots) {
  threads_.reserve(std::max<std::size_t>(threads, 1));
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    threads_.emplace_back([this] { work(); });
  }
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::post(Job job) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(job));
  }
  wanted_.notify_one();
}

void WorkerPool::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void WorkerPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wanted_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every job queued has run
    auto job = std::move(queue_.front());
    queue_.pop_front();
    ++stats_.busy;
    lock.unlock();
    {
      const CpuSlot slot(slots_);
      job();
    }
    lock.lock();
    --stats_.busy;
    ++stats_.jobs;
  }
}

WorkerPool::Stats WorkerPool::stats() const {
  const std::lock_guard lock(mutex_);
  auto stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

}  // namespace callsight
