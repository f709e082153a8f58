#include "switch/record_batcher.hpp"

#include <exception>
#include <optional>
#include <span>

#include "common/cpu_slots.hpp"

namespace callsight::switching {

struct RecordBatcher::Pending {
  const CallRecord* record = nullptr;
  std::optional<RecordedCall> result;
  std::exception_ptr error;
  bool done = false;
};

RecordedCall RecordBatcher::record(const CallRecord& record) {
  Pending mine{.record = &record};
  // Waiting for another request's batch gives the CPU slot back: that request needs one to
  // finish its write. Declared before the lock, since taking the slot again may wait.
  std::optional<CpuSlotReleased> waiting;
  std::unique_lock lock(mutex_);
  queue_.push_back(&mine);
  while (!mine.done) {
    if (writing_) {
      if (!waiting) waiting.emplace();
      written_.wait(lock);
      continue;
    }
    // Nobody writes: this request writes everything queued, its own record among it.
    writing_ = true;
    auto batch = std::move(queue_);
    queue_.clear();
    lock.unlock();
    waiting.reset();  // the write is request work again
    write(batch);
    lock.lock();
    for (auto* pending : batch) pending->done = true;
    ++stats_.batches;
    stats_.records += batch.size();
    writing_ = false;
    written_.notify_all();
  }
  lock.unlock();
  waiting.reset();
  if (mine.error) std::rethrow_exception(mine.error);
  return std::move(*mine.result);
}

void RecordBatcher::write(std::vector<Pending*>& batch) {
  if (batch.size() > 1) {
    std::vector<CallRecord> records;
    records.reserve(batch.size());
    for (const auto* pending : batch) records.push_back(*pending->record);
    try {
      auto results = calls_.record_calls(records);
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
      return;
    } catch (const std::exception&) {
      // Written one by one below: only the record that fails fails its request.
    }
  }
  for (auto* pending : batch) {
    try {
      pending->result = std::move(calls_.record_calls(std::span(pending->record, 1)).front());
    } catch (...) {
      pending->error = std::current_exception();
    }
  }
}

RecordBatcher::Stats RecordBatcher::stats() const {
  std::lock_guard lock(mutex_);
  auto stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

}  // namespace callsight::switching
