#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace callsight {

class CpuSlotReleased;  // common/cpu_slots.hpp

// The connection a backend runs its shared write transactions on (the "batch"), as the group
// commit drives it. Calls come from one thread at a time.
class BatchConnection {
 public:
  virtual ~BatchConnection() = default;
  // Opens the batch transaction, taking the database's write lock (SQLite: BEGIN IMMEDIATE;
  // PostgreSQL: the advisory write lock).
  virtual void open_batch() = 0;
  // Commits the batch durably; throws StoreError when it did not commit.
  virtual void commit_batch() = 0;
  // Rolls the batch back (or gives up a batch the server already ended).
  virtual void abandon_batch() noexcept = 0;
  // Runs a statement without parameters (the SAVEPOINT commands) on the batch connection.
  virtual void run_on_batch(const char* sql) = 0;
  // False once the server ended the batch transaction on its own (an I/O error, a lost
  // connection): the members released into it are lost with it.
  virtual bool batch_alive() noexcept = 0;
};

// Lets concurrent write transactions share one durable commit (the disk does a few thousand
// fsyncs a second; one per request capped every writing endpoint there).
//
// Write transactions run one at a time, as before, but each inside a SAVEPOINT of a longer
// batch transaction: a member that fails rolls back to its savepoint and leaves the others'
// work alone, so one request's 409 never undoes another's. A member that succeeds releases
// its savepoint and waits until its batch is committed, so nobody is answered before their
// change is durable. The member that finds nobody queued behind it (or a full batch) commits
// the batch for everyone in it; when the commit fails, every member of that batch fails.
//
// A member may also hand its work over instead (run): the member that holds the batch
// connection runs the queued members' work itself, each in its own savepoint, before it hands
// over or commits, so a queued member wakes once, when its batch has settled, instead of
// twice (for its turn, then for its commit): on one core each wake is a context switch
// (bench/README.md, "Number requests: one wake per member, two fewer B-trees").
//
// Readers never see a batch before it commits: the backends read on other connections.
class GroupCommit {
 public:
  static constexpr std::size_t kDefaultMaxMembers = 64;

  explicit GroupCommit(BatchConnection& connection, std::size_t max_members = kDefaultMaxMembers);
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Waits for the batch connection, opening a batch when none is open, and starts a member.
  void begin();
  // Ends the member successfully; returns once its batch is durable, throws StoreError when
  // the batch failed to commit.
  void commit();
  // Ends the member, undoing only its own work.
  void rollback() noexcept;

  // A whole member: runs `work` on the batch connection inside its own savepoint, on this
  // thread or on the one that holds the connection, and returns once its batch is durable.
  // Rethrows what `work` threw (its work undone), or StoreError when the batch failed to commit.
  // `work` must not depend on the thread it runs on.
  void run(const std::function<void()>& work);

  // Called once a member handed over with run_then() has ended: with null once its batch is
  // durable, else with what its work threw (its work undone) or a StoreError for its batch.
  using Done = std::function<void(std::exception_ptr error)>;
  // run() without waiting: `work` runs on the thread that holds the batch connection, or on the
  // group commit's own writing thread when nobody does, and `done` is called on whichever
  // thread settled the batch, after it let go of the batch connection. So a request's thread
  // goes back to its other work instead of sleeping for the commit. `done` must not throw.
  void run_then(std::function<void()> work, Done done);

  // Runs `work` on the batch connection while no batch is open and no member runs: for what
  // must never run beside a write (SQLite's checkpoint: sqlite_checkpointer.hpp). Waits for the
  // batch connection as a member does; a batch kept open for it is settled first, so its
  // members are answered before `work` runs, and members that come meanwhile wait and share the
  // next batch. Rethrows what `work` threw.
  void between_batches(const std::function<void()>& work);

  struct Stats {
    std::uint64_t batches = 0;      // durable commits
    std::uint64_t members = 0;      // write transactions committed through them
    std::uint64_t waits = 0;        // members that found the batch connection busy and waited
    double wait_seconds = 0;        // the time they waited, in total
    std::uint64_t handed_over = 0;  // members that came through run_then
    bool running = false;           // a member holds the batch connection now
    std::size_t queued = 0;         // members waiting for it now (for their turn or their work)
  };
  Stats stats() const;

 private:
  struct Task;
  struct LaterTask;
  struct Batch {
    bool settled = false;
    std::optional<std::string> error;        // set: the batch did not commit, and why
    std::vector<Task*> tasks;                // the members run() released into it
    std::vector<CpuSlotReleased*> sleepers;  // the members commit() released into it, asleep
  };
  // A member handed over with run(), living on its caller's stack until `done`. Its caller
  // sleeps on a semaphore of its own thread (CpuSlotReleased::sleep) rather than on a
  // condition of mutex_: woken, it needs no lock to return (a condition's waiter re-takes the
  // mutex first, and found it held by the thread that woke it: perf, 4% of a number request
  // in __lll_lock_wait), and it is woken only once a CPU slot is its.
  struct Task {
    explicit Task(const std::function<void()>& work) : work(work) {}
    const std::function<void()>& work;
    std::exception_ptr error;  // what the work threw, or why its batch failed
    bool done = false;         // its work failed, or its batch settled
    bool lead = false;         // it was given the batch connection: its caller runs the queue
    // Set while its caller sleeps (or is about to): woken once, through it.
    CpuSlotReleased* sleeper = nullptr;
    LaterTask* later = nullptr;  // set: it came through run_then, and nobody sleeps for it
    std::chrono::steady_clock::time_point queued_at;
  };

  // Waits for the batch connection and takes it; true when a batch is open on it.
  bool take_turn();
  // Called by the running member once its savepoint has ended: gives the batch connection to a
  // member waiting for its turn, else runs the queued tasks' work into the batch, and ends the
  // batch when nobody is queued or the batch is full.
  void hand_over_or_settle(std::unique_lock<std::mutex>& lock) noexcept;
  // Ends the open batch: commits it, or gives it up (failing its released members when
  // `lost`). Called by the running member, with `lock` held; returns with it held and the
  // batch connection still taken.
  void settle(std::unique_lock<std::mutex>& lock, bool commit) noexcept;
  // Gives up the batch connection: to the first member waiting in begin(), else to the first
  // queued task's caller (or to the writing thread for a task of run_then), who runs the queue
  // (running_ stays set for all). With `lock` held.
  void pass_turn(std::unique_lock<std::mutex>& lock) noexcept;
  // Wakes a task's caller if it sleeps (with the lock held); the task may be gone after.
  static void wake(Task& task) noexcept;
  // A task that is done: wakes its caller, or queues its `done` to be called (with the lock
  // held).
  void finish(Task& task) noexcept;
  // Calls `done` of the tasks of run_then that are done, without the lock; returns with it held.
  void answer_finished(std::unique_lock<std::mutex>& lock) noexcept;
  // Gives the batch connection to the writing thread (started on first need), with the lock
  // held and running_ set.
  void hand_to_writer() noexcept;
  // The writing thread: runs the queue of run_then's tasks whenever it is handed the batch
  // connection for them.
  void write_loop();
  // A queued task leaves the queue: counted among the waits (with the lock held).
  void count_wait(const Task& task) noexcept;
  // Runs a task's work in its own savepoint of the open batch, on the thread that holds the
  // batch connection; without the lock.
  void run_task(Task& task) noexcept;
  // The caller of run() that was given the batch connection: opens a batch if none is open,
  // runs its own work and the queue's, and waits for its batch.
  void lead(Task& own);
  // A member that cannot go on: undoes its work, or fails the whole batch when the server
  // ended the batch transaction.
  void end_failed_member(bool savepoint_open) noexcept;
  // Rolls a failed member back to its savepoint; false when the batch is lost with it.
  bool undo_member(bool savepoint_open) noexcept;

  BatchConnection& connection_;
  const std::size_t max_members_;

  mutable std::mutex mutex_;
  // Every waiter sleeps on its own thread's semaphore and is woken alone, when what it waits
  // for is its own (the batch connection handed to it, its batch settled), and only once a CPU
  // slot is its: no thread is woken to find it must sleep again (27 futex calls per number
  // request with one condition for all, 16 with two, 12 context switches per POST /customers
  // with two: bench/README.md).
  bool running_ = false;  // a member (or a settling commit) holds the batch connection
  std::deque<CpuSlotReleased*> turn_waiters_;  // members of begin() waiting for their turn
  std::deque<Task*> tasks_;                    // members of run() waiting for their work to be run
  std::shared_ptr<Batch> batch_;               // the open batch, if any
  std::size_t released_ = 0;          // members released into batch_, waiting for its commit
  std::vector<LaterTask*> finished_;  // tasks of run_then done, their `done` not called yet
  // Tasks of run_then that find nobody holding the batch connection are run by a thread of the
  // group commit's own, as the route batcher's are (switch/record_batcher.hpp): run by the
  // request's io thread, they would hold its connection's answer through the commit.
  std::thread writer_;
  std::condition_variable writer_wanted_;
  bool writer_due_ = false;  // the batch connection is the writing thread's: it runs the queue
  bool stopping_ = false;
  Stats stats_;  // `running` and `queued` are filled in by stats()
};

}  // namespace callsight
