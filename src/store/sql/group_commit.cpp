#include "store/sql/group_commit.hpp"

#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include "common/cpu_slots.hpp"
#include "store/store.hpp"

namespace callsight {
namespace {

// Transactions do not nest (sql_database.hpp), so one name serves every member.
constexpr const char* kSavepoint = "SAVEPOINT callsight_member";
constexpr const char* kRelease = "RELEASE SAVEPOINT callsight_member";
constexpr const char* kRollbackTo = "ROLLBACK TO SAVEPOINT callsight_member";

}  // namespace

// A member of run_then: its work and its answer, owned by the group commit until answered.
struct GroupCommit::LaterTask {
  LaterTask(std::function<void()> work_to_run, Done answer)
      : work(std::move(work_to_run)), done(std::move(answer)) {
    task.later = this;
  }
  std::function<void()> work;
  Done done;
  Task task{work};
};

GroupCommit::GroupCommit(BatchConnection& connection, std::size_t max_members)
    : connection_(connection), max_members_(max_members == 0 ? 1 : max_members) {}

GroupCommit::~GroupCommit() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    writer_wanted_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

// A member waits for its turn and its batch without its CPU slot: the member running before
// it, or the one committing, may need a slot to finish (common/cpu_slots.hpp).
bool GroupCommit::take_turn() {
  // Declared before the lock: its end takes a slot again, which may wait, after unlocking.
  std::optional<CpuSlotReleased> waiting;
  std::unique_lock lock(mutex_);
  if (running_) {
    waiting.emplace();
    const auto started = std::chrono::steady_clock::now();
    turn_waiters_.push_back(&*waiting);
    lock.unlock();
    waiting->sleep();  // handed the batch connection: running_ stayed set for this thread
    lock.lock();
    ++stats_.waits;
    stats_.wait_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  running_ = true;
  return batch_ != nullptr;
}

void GroupCommit::begin() {
  if (!take_turn()) {
    try {
      connection_.open_batch();
    } catch (...) {
      std::unique_lock lock(mutex_);
      pass_turn(lock);
      throw;
    }
    const std::lock_guard lock(mutex_);
    batch_ = std::make_shared<Batch>();
  }
  try {
    connection_.run_on_batch(kSavepoint);
  } catch (...) {
    end_failed_member(/*savepoint_open=*/false);
    throw;
  }
}

void GroupCommit::commit() {
  try {
    connection_.run_on_batch(kRelease);
  } catch (const StoreError&) {
    // PostgreSQL refuses RELEASE after a statement of the member failed: the member rolls
    // back, as COMMIT would have.
    end_failed_member(/*savepoint_open=*/true);
    throw;
  }
  std::shared_ptr<Batch> batch;
  {
    std::optional<CpuSlotReleased> waiting;  // before the lock, as in take_turn
    std::unique_lock lock(mutex_);
    batch = batch_;
    ++released_;
    hand_over_or_settle(lock);
    answer_finished(lock);
    if (!batch->settled) {
      waiting.emplace();
      batch->sleepers.push_back(&*waiting);
      lock.unlock();
      waiting->sleep();  // settled: what the settling thread wrote before it is seen
    }
  }
  if (batch->error) throw StoreError(*batch->error);
}

void GroupCommit::rollback() noexcept { end_failed_member(/*savepoint_open=*/true); }

void GroupCommit::run(const std::function<void()>& work) {
  Task task(work);
  {
    std::optional<CpuSlotReleased> waiting;  // before the lock, as in take_turn
    std::unique_lock lock(mutex_);
    if (running_) {
      waiting.emplace();
      task.queued_at = std::chrono::steady_clock::now();
      task.sleeper = &*waiting;
      tasks_.push_back(&task);
      lock.unlock();
      waiting->sleep();  // done or lead: what the waker wrote before it is seen
    } else {
      running_ = true;
      task.lead = true;
    }
  }
  if (task.lead) lead(task);
  if (task.error) std::rethrow_exception(task.error);
}

void GroupCommit::run_then(std::function<void()> work, Done done) {
  auto later = std::make_unique<LaterTask>(std::move(work), std::move(done));
  const std::lock_guard lock(mutex_);
  later->task.queued_at = std::chrono::steady_clock::now();
  tasks_.push_back(&later.release()->task);  // answer_finished deletes it
  ++stats_.handed_over;
  if (running_) return;  // the member holding the batch connection runs it
  running_ = true;
  hand_to_writer();
}

void GroupCommit::between_batches(const std::function<void()>& work) {
  if (take_turn()) {
    std::unique_lock lock(mutex_);
    settle(lock, /*commit=*/released_ > 0);
    answer_finished(lock);
  }
  std::exception_ptr failed;
  try {
    work();
  } catch (...) {
    failed = std::current_exception();
  }
  {
    std::unique_lock lock(mutex_);
    hand_over_or_settle(lock);  // no batch is open: hands the connection on
    answer_finished(lock);
  }
  if (failed) std::rethrow_exception(failed);
}

void GroupCommit::hand_to_writer() noexcept {
  writer_due_ = true;
  if (!writer_.joinable()) writer_ = std::thread([this] { write_loop(); });
  writer_wanted_.notify_one();
}

void GroupCommit::write_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    writer_wanted_.wait(lock, [this] { return writer_due_ || stopping_; });
    if (!writer_due_) return;
    writer_due_ = false;  // the batch connection is this thread's, for the queue's first task
    if (!batch_) {
      lock.unlock();
      std::exception_ptr failed;
      try {
        connection_.open_batch();
      } catch (...) {
        failed = std::current_exception();
      }
      lock.lock();
      if (failed) {
        // As a caller of run() given the connection fails alone when it cannot open a batch.
        Task* first = tasks_.front();
        tasks_.pop_front();
        count_wait(*first);
        first->error = failed;
        finish(*first);
        pass_turn(lock);
        answer_finished(lock);
        continue;
      }
      batch_ = std::make_shared<Batch>();
    }
    hand_over_or_settle(lock);
    answer_finished(lock);
  }
}

void GroupCommit::wake(Task& task) noexcept {
  if (task.sleeper != nullptr) std::exchange(task.sleeper, nullptr)->wake();
}

void GroupCommit::finish(Task& task) noexcept {
  task.done = true;
  if (task.later != nullptr) {
    finished_.push_back(task.later);
  } else {
    wake(task);
  }
}

void GroupCommit::answer_finished(std::unique_lock<std::mutex>& lock) noexcept {
  while (!finished_.empty()) {
    auto finished = std::exchange(finished_, {});
    lock.unlock();
    for (LaterTask* later : finished) {
      const std::unique_ptr<LaterTask> owned(later);
      try {
        owned->done(owned->task.error);
      } catch (...) {
        // `done` must not throw; nothing is left to tell.
      }
    }
    lock.lock();
  }
}

void GroupCommit::count_wait(const Task& task) noexcept {
  ++stats_.waits;
  stats_.wait_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - task.queued_at).count();
}

void GroupCommit::lead(Task& own) {
  bool open;
  {
    const std::lock_guard lock(mutex_);
    open = batch_ != nullptr;
  }
  if (!open) {
    try {
      connection_.open_batch();
    } catch (...) {
      own.error = std::current_exception();
      own.done = true;
      std::unique_lock lock(mutex_);
      pass_turn(lock);
      return;
    }
    const std::lock_guard lock(mutex_);
    batch_ = std::make_shared<Batch>();
  }
  run_task(own);
  std::optional<CpuSlotReleased> waiting;  // before the lock, as in take_turn
  std::unique_lock lock(mutex_);
  hand_over_or_settle(lock);
  answer_finished(lock);
  if (!own.done) {  // handed over to a member that began on its own thread: it settles
    waiting.emplace();
    own.sleeper = &*waiting;
    lock.unlock();
    waiting->sleep();
    own.sleeper = nullptr;  // the waker let go of it; `waiting` ends here
  }
}

void GroupCommit::run_task(Task& task) noexcept {
  bool savepoint_open = false;
  try {
    connection_.run_on_batch(kSavepoint);
    savepoint_open = true;  // NOLINT(clang-analyzer-deadcode.DeadStores): the catch reads it
    task.work();
    connection_.run_on_batch(kRelease);
    const std::lock_guard lock(mutex_);
    batch_->tasks.push_back(&task);
    ++released_;
    return;
  } catch (...) {
    // A failed RELEASE (PostgreSQL, after a failed statement) leaves the savepoint open, as a
    // failed statement of the work does: both roll back to it.
    task.error = std::current_exception();
  }
  const bool alive = undo_member(savepoint_open);
  std::unique_lock lock(mutex_);
  finish(task);
  if (!alive) settle(lock, /*commit=*/false);
}

bool GroupCommit::undo_member(bool savepoint_open) noexcept {
  if (!connection_.batch_alive()) return false;
  if (!savepoint_open) return true;
  try {
    connection_.run_on_batch(kRollbackTo);
    connection_.run_on_batch(kRelease);
    return true;
  } catch (const StoreError&) {
    // A savepoint that cannot be rolled back leaves the batch in a state nobody can vouch
    // for: give it up.
    return false;
  }
}

void GroupCommit::end_failed_member(bool savepoint_open) noexcept {
  const bool alive = undo_member(savepoint_open);
  std::unique_lock lock(mutex_);
  if (alive) {
    hand_over_or_settle(lock);
  } else {
    settle(lock, /*commit=*/false);
    pass_turn(lock);
  }
  answer_finished(lock);
}

void GroupCommit::hand_over_or_settle(std::unique_lock<std::mutex>& lock) noexcept {
  for (;;) {
    if (!batch_) break;  // a task's failure lost the batch: it has settled already
    if (released_ >= max_members_) {
      settle(lock, /*commit=*/true);
      break;
    }
    // A member waiting for its turn goes first, the batch kept open for it (it runs the queued
    // tasks when it ends): run_then's tasks come steadily under load, and running them first
    // could keep it waiting as long as they do.
    if (!turn_waiters_.empty()) break;
    if (!tasks_.empty()) {
      Task* task = tasks_.front();
      tasks_.pop_front();
      count_wait(*task);
      lock.unlock();
      run_task(*task);
      lock.lock();
      continue;
    }
    settle(lock, /*commit=*/released_ > 0);
    break;
  }
  pass_turn(lock);
}

void GroupCommit::pass_turn(std::unique_lock<std::mutex>& /*lock*/) noexcept {
  if (!turn_waiters_.empty()) {  // first, as in hand_over_or_settle
    CpuSlotReleased* next = turn_waiters_.front();
    turn_waiters_.pop_front();
    next->wake();  // running_ stays set: the batch connection is its caller's now
    return;
  }
  if (!tasks_.empty()) {
    Task* next = tasks_.front();
    if (next->later != nullptr) {  // nobody sleeps for it: the writing thread runs the queue
      hand_to_writer();
      return;
    }
    tasks_.pop_front();
    count_wait(*next);
    next->lead = true;  // running_ stays set: the batch connection is its caller's now
    wake(*next);
    return;
  }
  running_ = false;
}

void GroupCommit::settle(std::unique_lock<std::mutex>& lock, bool commit) noexcept {
  const std::shared_ptr<Batch> batch = std::exchange(batch_, nullptr);
  const std::size_t members = std::exchange(released_, 0);
  lock.unlock();
  std::optional<std::string> error;
  if (commit) {
    try {
      const CpuSlotReleased flushing;  // the disk's flush, or PostgreSQL's
      connection_.commit_batch();
    } catch (const std::exception& e) {
      error = e.what();
    }
  } else {
    connection_.abandon_batch();
    if (members > 0) {
      error = "the shared write transaction was lost before it committed";
    }
  }
  lock.lock();
  if (batch) {
    batch->error = std::move(error);
    batch->settled = true;
    if (!batch->error && members > 0) {
      ++stats_.batches;
      stats_.members += members;
    }
    for (Task* task : batch->tasks) {
      if (batch->error) task->error = std::make_exception_ptr(StoreError(*batch->error));
      finish(*task);
    }
    for (CpuSlotReleased* sleeper : batch->sleepers) sleeper->wake();
  }
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats = stats_;
  stats.running = running_;
  stats.queued = turn_waiters_.size() + tasks_.size();
  return stats;
}

}  // namespace callsight
