#include "common/cpu_slots.hpp"

#include <sched.h>

#include <algorithm>
#include <optional>

namespace callsight {
namespace {

// What this thread holds: inside a CpuSlot's scope, and the slots it took (null while it has
// given its slot back, ran without one after an overrun, or was given none to take).
struct ThreadSlot {
  bool in_scope = false;
  CpuSlots* held = nullptr;
};
thread_local ThreadSlot this_thread_slot;

}  // namespace

CpuSlots::CpuSlots(std::size_t slots, std::chrono::milliseconds longest_wait)
    : slots_(slots == 0 ? usable_cores() : slots), longest_wait_(longest_wait), free_(slots_) {}

std::size_t CpuSlots::usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

bool CpuSlots::acquire(bool resuming) {
  std::unique_lock lock(mutex_);
  ++stats_.taken;
  if (free_ > 0) {  // only while nobody waits
    --free_;
    return true;
  }
  Waiter waiter;
  auto& queue = resuming ? resuming_ : starting_;
  queue.push_back(&waiter);
  ++stats_.waits;
  ++stats_.sleeps;
  const auto started = std::chrono::steady_clock::now();
  const bool granted = waiter.wake.wait_for(lock, longest_wait_, [&] { return waiter.granted; });
  stats_.wait_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!granted) {
    queue.erase(std::find(queue.begin(), queue.end(), &waiter));
    --stats_.taken;
    ++stats_.overruns;
  }
  return granted;
}

bool CpuSlots::holding_on_this_thread() { return this_thread_slot.in_scope; }

void CpuSlots::run_holding(const std::function<void()>& work) {
  ThreadSlot& mine = this_thread_slot;
  mine = ThreadSlot{.in_scope = true, .held = this};
  struct Leave {
    ThreadSlot& mine;
    ~Leave() {
      if (mine.held != nullptr) mine.held->release();
      mine = ThreadSlot{};
    }
  } leave{mine};
  work();
  // The queued work runs here, one after another, with no thread woken: the point of `run`.
  // A sleeping thread goes first, and after an overrun this thread has no slot to run it in.
  // At most what was queued when this work ended: the thread must get back to its io_context
  // now and then, where the completions its work started wait in its own queue (Asio runs a
  // thread's private queue only between handlers), or a connection could wait for as long as
  // the slots stay busy (a 100-row CDR page's p99 at 0.6-2.3 s under a steady load).
  std::optional<std::size_t> batch;
  while (mine.held != nullptr) {
    Work next;
    {
      std::lock_guard lock(mutex_);
      if (!batch) batch = queued_work_.size();
      if (!resuming_.empty() || !starting_.empty() || queued_work_.empty() || *batch == 0) break;
      --*batch;
      next = next_queued_work().work;
    }
    next();
  }
}

CpuSlots::QueuedWork CpuSlots::next_queued_work() {
  QueuedWork next = std::move(queued_work_.front());
  queued_work_.pop_front();
  stats_.wait_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - next.queued_at).count();
  return next;
}

void CpuSlots::release() noexcept {
  std::unique_lock lock(mutex_);
  auto& sleepers = resuming_.empty() ? starting_ : resuming_;
  if (!sleepers.empty()) {
    // Straight to the oldest waiter: a thread that gives its slot back and asks again at once
    // cannot overtake the ones already asleep.
    Waiter* next = sleepers.front();
    sleepers.pop_front();
    next->granted = true;
    next->wake.notify_one();
    return;
  }
  ++free_;
  if (queued_work_.empty()) return;
  // This thread is about to wait, or goes back to its io_context after a batch (or leaves a
  // CpuSlot's scope), so it does not run the oldest queued work: a thread of its io_context
  // will, taking a slot as any completion does, ahead of the rest of the queue. The
  // slot is not sent along with it: while every io thread waits (on commits, on PostgreSQL),
  // the posted work waits too, and a slot inside it would keep the requests back from their
  // waits asleep.
  QueuedWork next = next_queued_work();
  lock.unlock();
  try {
    next.post([this, work = std::move(next.work), post = next.post]() mutable {
      run_in_line(std::move(work), std::move(post), /*first_in_line=*/true);
    });
  } catch (...) {  // NOLINT(bugprone-empty-catch)
    // Out of memory: the request is dropped (its connection closes) rather than the server.
  }
}

CpuSlots::Stats CpuSlots::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats = stats_;
  stats.queued = resuming_.size() + starting_.size() + queued_work_.size();
  stats.busy = slots_ - free_;
  return stats;
}

CpuSlot::CpuSlot(CpuSlots* slots) {
  ThreadSlot& mine = this_thread_slot;
  if (mine.in_scope) return;
  outermost_ = true;
  mine.in_scope = true;
  if (slots != nullptr && slots->acquire(/*resuming=*/false)) mine.held = slots;
}

CpuSlot::~CpuSlot() {
  if (!outermost_) return;
  ThreadSlot& mine = this_thread_slot;
  if (mine.held != nullptr) mine.held->release();
  mine = ThreadSlot{};
}

CpuSlotReleased::CpuSlotReleased() noexcept {
  ThreadSlot& mine = this_thread_slot;
  if (mine.held == nullptr) return;
  released_ = mine.held;
  mine.held = nullptr;
  released_->release();
}

CpuSlotReleased::~CpuSlotReleased() {
  if (released_ != nullptr && released_->acquire(/*resuming=*/true)) {
    this_thread_slot.held = released_;
  }
}

}  // namespace callsight
