#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>

namespace callsight {

class ThreadWake;  // cpu_slots.cpp

// At most one thread per core runs request work at a time; the rest waits its turn in order,
// and a request coming back from a wait goes before the work not yet started.
//
// The server runs many io threads because a handler blocks: on its write's durable commit,
// on PostgreSQL's answers. When all of them had work, the kernel sliced the cores among them,
// and a request whose thread lost its slice waited for every other thread's (a ping's p99 of
// 28 ms beside a p50 of 0.2 ms with eight threads on one core: bench/README.md). With slots,
// a request that starts runs to its end unless it blocks, and while it blocks it gives its
// slot back (`CpuSlotReleased`), so the writes waiting on one commit still batch. Go's
// scheduler does the same with its P's (GOMAXPROCS) around system calls. A request that
// resumes often holds what others wait for (the group commit's turn, a pooled connection, a
// row lock), and finishing it first frees them sooner: it queues ahead of new requests.
//
// The io threads do not sleep on a slot: `run` runs a completion at once when a slot is free
// and otherwise queues it, and the thread that frees a slot runs the queued completions itself
// (those queued when its own work ended) before it lets the slot go. So under load one thread
// answers request after request without handing its slot to another (a thread hand-off per request
// cost a ping 0.03 ms of CPU, 2.5x its work: bench/README.md, CPU slots), and a thread that got a
// completion goes back to the socket events at once. Only a request coming back from a wait sleeps
// for its slot: its stack is in the middle of its work.
//
// Every wait for something a slot holder may hold across a release (the group commit's turn,
// a pooled connection, a PostgreSQL row lock, a mutex held across store calls) must itself
// give the slot back, or one slot could wait on another forever. As a backstop a thread waits
// at most `longest_wait` for a slot and then runs without one, as every thread did before;
// such overruns are counted in /metrics.
class CpuSlots {
 public:
  static constexpr std::chrono::milliseconds kDefaultLongestWait{50};

  // `slots` 0: one per core this process may run on.
  explicit CpuSlots(std::size_t slots = 0,
                    std::chrono::milliseconds longest_wait = kDefaultLongestWait);
  CpuSlots(const CpuSlots&) = delete;
  CpuSlots& operator=(const CpuSlots&) = delete;

  // The cores the process may run on (its CPU affinity), at least 1.
  static std::size_t usable_cores();

  std::size_t size() const { return slots_; }

  using Work = std::function<void()>;
  // Hands work to a thread that will run it (the io_context it came from).
  using Post = std::function<void(Work)>;

  // Runs `work` in a slot on this thread if one is free (or this thread holds one already),
  // else queues it: the next thread to free a slot runs it, or hands it to `post` (to be run
  // again) when the slot is freed for a wait. This thread never sleeps here.
  template <class Function, class PostFunction>
  void run(Function&& work, PostFunction&& post) {
    run_in_line(std::forward<Function>(work), std::forward<PostFunction>(post),
                /*first_in_line=*/false);
  }

  struct Stats {
    std::uint64_t taken = 0;     // slots handed out
    std::uint64_t waits = 0;     // takes that found every slot busy
    double wait_seconds = 0;     // their time queued or asleep, in total
    std::uint64_t sleeps = 0;    // of the waits, threads put to sleep (back from a wait)
    std::uint64_t overruns = 0;  // waits that gave up after longest_wait and ran anyway
    std::size_t queued = 0;      // threads and work waiting now
    std::size_t busy = 0;        // slots held now
  };
  Stats stats() const;

 private:
  friend class CpuSlot;
  friend class CpuSlotReleased;

  struct Waiter {
    std::condition_variable wake;
    ThreadWake* thread_wake = nullptr;  // set: woken on it instead (CpuSlotReleased::wake)
    bool granted = false;
    std::chrono::steady_clock::time_point queued_at;
  };
  struct QueuedWork {
    Work work;
    Post post;
    std::chrono::steady_clock::time_point queued_at;
  };
  // Takes the oldest queued work off the queue (mutex_ held).
  QueuedWork next_queued_work();

  // `run`, but queued at the front: work that was queued before and posted by a thread that
  // freed its slot for a wait, and found the slot taken again by the time it ran.
  template <class Function, class PostFunction>
  void run_in_line(Function&& work, PostFunction&& post, bool first_in_line) {
    if (holding_on_this_thread()) return std::forward<Function>(work)();
    {
      std::unique_lock lock(mutex_);
      ++stats_.taken;
      if (free_ == 0) {
        ++stats_.waits;
        QueuedWork queued{Work(std::forward<Function>(work)),
                          Post(std::forward<PostFunction>(post)), std::chrono::steady_clock::now()};
        if (first_in_line) {
          queued_work_.push_front(std::move(queued));
        } else {
          queued_work_.push_back(std::move(queued));
        }
        return;
      }
      --free_;
    }
    run_holding([&] { std::forward<Function>(work)(); });
  }
  static bool holding_on_this_thread();
  // Runs `work` in the slot this thread was just given, then the work queued meanwhile, and
  // frees the slot.
  void run_holding(const std::function<void()>& work);
  // True when the calling thread got a slot; false after longest_wait without one.
  bool acquire(bool resuming);
  // Frees this thread's slot: to the oldest sleeping thread, else to the free count, handing
  // the oldest queued work (if any) to its poster.
  void release() noexcept;
  // Takes a slot for the thread asleep on `waiter.thread_wake` and wakes it, or queues it to be
  // woken when a slot is handed to it.
  void grant_then_wake(Waiter& waiter) noexcept;
  // True when `waiter` has waited longest_wait for a slot: it leaves the queue, counted as an
  // overrun.
  bool overran(Waiter& waiter) noexcept;

  const std::size_t slots_;
  const std::chrono::milliseconds longest_wait_;
  mutable std::mutex mutex_;
  std::size_t free_;
  // Oldest first; a released slot goes straight to the front of `resuming_`, else of
  // `starting_`, else of `queued_work_`.
  std::deque<Waiter*> resuming_;
  std::deque<Waiter*> starting_;
  std::deque<QueuedWork> queued_work_;
  Stats stats_;
};

// Holds a slot of `slots` on this thread for its scope (null: none to take), sleeping until
// one is free: for a thread that has no io_context to queue its work on (a WorkerPool's, or a
// test standing in for a request). A thread that already holds one (a completion run inside
// another) takes no second.
class CpuSlot {
 public:
  explicit CpuSlot(CpuSlots* slots);
  ~CpuSlot();
  CpuSlot(const CpuSlot&) = delete;
  CpuSlot& operator=(const CpuSlot&) = delete;

 private:
  bool outermost_ = false;
};

// Gives this thread's slot back for its scope, around a wait (a commit's fsync, a PostgreSQL
// round trip, a pool's free connection), and takes one again at its end. A thread without a
// slot (a background job) does nothing. Its end may wait for a slot: end it after unlocking
// any mutex that slot holders lock plainly (without giving their slot back).
class CpuSlotReleased {
 public:
  CpuSlotReleased() noexcept;
  ~CpuSlotReleased();
  CpuSlotReleased(const CpuSlotReleased&) = delete;
  CpuSlotReleased& operator=(const CpuSlotReleased&) = delete;

  // For a wait that another thread ends: sleeps until that thread calls wake(), and then until
  // a slot is this thread's, in one sleep. Woken to find every slot busy, a thread would sleep
  // again at once, a second context switch pair for each member of a group commit on one core
  // (bench/README.md, "Group commit members woken with a slot"). Once per object.
  void sleep();
  // Ends sleep() from another thread (at most once per sleep; before it or during it).
  void wake() noexcept;

 private:
  CpuSlots* released_ = nullptr;
  ThreadWake& thread_wake_;  // of the thread that constructed this
  CpuSlots::Waiter waiter_;  // queued by wake() when every slot is busy
  bool slept_ = false;       // sleep() ended: with a slot, or after an overrun
};

// Locks `mutex`, giving the slot back only while it waits for another thread to unlock it.
template <class Mutex>
std::unique_lock<Mutex> lock_giving_slot_back(Mutex& mutex) {
  std::unique_lock lock(mutex, std::try_to_lock);
  if (!lock) {
    const CpuSlotReleased waiting;
    lock.lock();
  }
  return lock;
}

}  // namespace callsight
