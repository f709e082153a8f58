#include "common/cpu_slots.hpp"

#include <sched.h>
#include <semaphore.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <optional>

namespace callsight {

// A semaphore of one thread, which its CpuSlotReleased::sleep() sleeps on: one wake per sleep,
// so it is never left set. POSIX's: std::binary_semaphore (libstdc++ 12) spins with
// sched_yield before it sleeps, which doubled the context switches per number request on one
// core (perf stat).
class ThreadWake {
 public:
  ThreadWake() { sem_init(&semaphore_, 0, 0); }
  ~ThreadWake() { sem_destroy(&semaphore_); }
  ThreadWake(const ThreadWake&) = delete;
  ThreadWake& operator=(const ThreadWake&) = delete;
  void release() noexcept { sem_post(&semaphore_); }
  void acquire() noexcept {
    while (sem_wait(&semaphore_) != 0) {
    }  // EINTR: a signal's handler ran; sleep on
  }
  // False when `timeout` passed first.
  bool acquire_for(std::chrono::nanoseconds timeout) noexcept {
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    const auto nanoseconds = deadline.tv_nsec + timeout.count();
    deadline.tv_sec += static_cast<time_t>(nanoseconds / 1'000'000'000);
    deadline.tv_nsec = static_cast<long>(nanoseconds % 1'000'000'000);
    while (sem_clockwait(&semaphore_, CLOCK_MONOTONIC, &deadline) != 0) {
      if (errno == ETIMEDOUT) return false;
    }
    return true;
  }

 private:
  sem_t semaphore_;
};

namespace {

thread_local ThreadWake this_thread_wake;

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
    if (next->thread_wake == nullptr) return next->wake.notify_one();
    stats_.wait_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - next->queued_at).count();
    // Woken after the unlock: on one core the woken thread runs at once, and would find mutex_
    // still held and sleep again. It cannot leave its sleep without this wake, so its
    // semaphore is still there (a condition's waiter can: its wait has a time limit).
    ThreadWake& sleeper = *next->thread_wake;
    lock.unlock();
    sleeper.release();
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

void CpuSlots::grant_then_wake(Waiter& waiter) noexcept {
  std::unique_lock lock(mutex_);
  ++stats_.taken;
  if (free_ > 0) {
    --free_;
    waiter.granted = true;
    ThreadWake& sleeper = *waiter.thread_wake;
    lock.unlock();
    sleeper.release();
    return;
  }
  ++stats_.waits;
  waiter.queued_at = std::chrono::steady_clock::now();
  resuming_.push_back(&waiter);
}

bool CpuSlots::overran(Waiter& waiter) noexcept {
  const std::lock_guard lock(mutex_);
  const auto queued = std::find(resuming_.begin(), resuming_.end(), &waiter);
  if (queued == resuming_.end()) return false;  // not woken yet, or a slot is on its way
  const auto waited = std::chrono::steady_clock::now() - waiter.queued_at;
  if (waited < longest_wait_) return false;
  resuming_.erase(queued);
  stats_.wait_seconds += std::chrono::duration<double>(waited).count();
  --stats_.taken;
  ++stats_.overruns;
  return true;
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

CpuSlotReleased::CpuSlotReleased() noexcept : thread_wake_(this_thread_wake) {
  waiter_.thread_wake = &thread_wake_;
  ThreadSlot& mine = this_thread_slot;
  if (mine.held == nullptr) return;
  released_ = mine.held;
  mine.held = nullptr;
  released_->release();
}

CpuSlotReleased::~CpuSlotReleased() {
  if (released_ == nullptr) return;
  if (slept_) {
    if (waiter_.granted) this_thread_slot.held = released_;
    return;
  }
  if (released_->acquire(/*resuming=*/true)) this_thread_slot.held = released_;
}

void CpuSlotReleased::sleep() {
  if (released_ == nullptr) return thread_wake_.acquire();
  // The backstop of every slot wait (cpu_slots.hpp): woken by wake() but queued for a slot
  // longer than longest_wait, the thread runs without one.
  while (!thread_wake_.acquire_for(released_->longest_wait_)) {
    if (released_->overran(waiter_)) break;
  }
  slept_ = true;
}

void CpuSlotReleased::wake() noexcept {
  if (released_ == nullptr) return thread_wake_.release();
  released_->grant_then_wake(waiter_);
}

}  // namespace callsight
