#include "switch/record_batcher.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <span>

#include "common/cpu_slots.hpp"

namespace callsight::switching {

struct RecordBatcher::Pending {
  const CallRecord* record = nullptr;
  CallRecord owned;  // record_then's copy, which `record` points to
  Written written;   // record_then's: called with the result; empty for record()
  std::optional<RecordedCall> result;
  std::exception_ptr error;
  // Set before `sleeper` is woken, read after its sleep: the wake orders them.
  bool done = false;  // its batch is written (or failed)
  // A request of record() that waits sleeps on its own thread's semaphore, woken once, with a
  // CPU slot: for its result, or to write the next batch. A condition shared by every waiter
  // woke them all at each batch's end, the next batch's waiters only to sleep again; a wake
  // without the slot woke it to find the slot busy and sleep again (group_commit.hpp).
  CpuSlotReleased* sleeper = nullptr;
};

RecordedCall RecordBatcher::record(const CallRecord& record) {
  Pending mine{.record = &record};
  // Asleep without the CPU slot: the writer needs one to finish its batch. Made before the
  // lock, so that it ends after it when the writing comes back to this thread.
  std::optional<CpuSlotReleased> waiting;
  std::unique_lock lock(mutex_);
  queue_.push_back(&mine);
  if (writing_) {
    waiting.emplace();
    mine.sleeper = &*waiting;
    lock.unlock();
    waiting->sleep();
    waiting.reset();  // woken with a slot: keeps it
    if (mine.done) return result_of(mine);
    lock.lock();  // handed the writing of the queue
  }
  writing_ = true;
  write_queue(lock, &mine);
  return result_of(mine);
}

void RecordBatcher::record_then(CallRecord record, Written written) {
  auto pending = std::make_unique<Pending>();
  pending->owned = std::move(record);
  pending->record = &pending->owned;
  pending->written = std::move(written);
  const std::lock_guard lock(mutex_);
  queue_.push_back(pending.release());  // finish() deletes it
  if (writing_) return;                 // written in the writer's next batch
  writing_ = true;
  hand_to_writer();
}

void RecordBatcher::hand_to_writer() {
  writer_due_ = true;
  if (!writer_.joinable()) writer_ = std::thread([this] { writer_loop(); });
  writer_wanted_.notify_one();
}

void RecordBatcher::writer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    writer_wanted_.wait(lock, [this] { return writer_due_ || stopping_; });
    if (!writer_due_) return;
    writer_due_ = false;
    write_queue(lock, nullptr);
    lock.lock();
  }
}

RecordBatcher::~RecordBatcher() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    writer_wanted_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

void RecordBatcher::write_queue(std::unique_lock<std::mutex>& lock, Pending* own) {
  while (true) {
    auto batch = std::move(queue_);
    queue_.clear();
    lock.unlock();
    write(batch);
    lock.lock();
    ++stats_.batches;
    stats_.records += batch.size();
    // A request waiting for its own result returns once that is written, handing the writing
    // over to the oldest such request queued; the others' requests are answered from here.
    Pending* next = nullptr;
    const bool own_done = own != nullptr;
    if (own_done) {
      for (auto* queued : queue_) {
        if (!queued->written) {
          next = queued;
          break;
        }
      }
    }
    // A request answered by its return hands the rest to the writing thread: its own answer
    // waits for its handler to end.
    if (own_done && next == nullptr && !queue_.empty()) hand_to_writer();
    const bool go_on = !own_done && !queue_.empty();
    if (queue_.empty()) writing_ = false;
    lock.unlock();
    finish(batch, own);
    if (next != nullptr) next->sleeper->wake();  // it finds itself not done: it writes
    if (!go_on) return;
    lock.lock();  // writing_ kept the queue as it was: it holds more
  }
}

void RecordBatcher::finish(std::vector<Pending*>& batch, const Pending* own) {
  for (auto* pending : batch) {
    if (pending == own) continue;
    if (!pending->written) {
      pending->done = true;
      pending->sleeper->wake();  // it may return, and its Pending go, at once
      continue;
    }
    const std::unique_ptr<Pending> owned(pending);
    try {
      owned->written(std::move(owned->result), owned->error);
    } catch (const std::exception& e) {
      spdlog::error("call {}: answering its route failed: {}", owned->record->switch_call_id,
                    e.what());
    } catch (...) {
      spdlog::error("call {}: answering its route failed", owned->record->switch_call_id);
    }
  }
}

RecordedCall RecordBatcher::result_of(Pending& pending) {
  if (pending.error) std::rethrow_exception(pending.error);
  return std::move(*pending.result);
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
