// The group commit's hand-over rules with a batch connection the test drives: which members
// share a commit, what each one's outcome is, and what runs on the connection. That the
// backends keep each member's work and make it durable is checked on SQLite and PostgreSQL
// in sql_group_commit_test.cpp.
#include "store/sql/group_commit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/cpu_slots.hpp"
#include "store/store.hpp"

namespace callsight {
namespace {

// Records what the group commit runs; its commit can be held until the test lets it go, and
// made to fail.
class ScriptedBatch final : public BatchConnection {
 public:
  void open_batch() override {
    std::lock_guard lock(mutex_);
    log_.push_back("BEGIN");
    alive_ = true;
  }
  void commit_batch() override {
    std::unique_lock lock(mutex_);
    ++commits_entered_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return !hold_commit_; });
    log_.push_back("COMMIT");
    alive_ = false;
    if (fail_commit_) throw StoreError("disk full");
  }
  void abandon_batch() noexcept override {
    std::lock_guard lock(mutex_);
    log_.push_back("ROLLBACK");
    alive_ = false;
  }
  void run_on_batch(const char* sql) override {
    std::lock_guard lock(mutex_);
    log_.push_back(sql);
  }
  bool batch_alive() noexcept override {
    std::lock_guard lock(mutex_);
    return alive_;
  }

  void hold_commits(bool hold) {
    std::lock_guard lock(mutex_);
    hold_commit_ = hold;
    changed_.notify_all();
  }
  void fail_commits() {
    std::lock_guard lock(mutex_);
    fail_commit_ = true;
  }
  void lose_batch() {
    std::lock_guard lock(mutex_);
    alive_ = false;
  }
  void wait_for_commits_entered(int count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return commits_entered_ >= count; });
  }
  int count(const std::string& statement) const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count(log_.begin(), log_.end(), statement));
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> log_;
  bool alive_ = false;
  bool hold_commit_ = false;
  bool fail_commit_ = false;
  int commits_entered_ = 0;
};

enum class Outcome { pending, committed, rolled_back, failed };

// Holds a member between its begin and its end until the test opens it.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void pass() {
    std::unique_lock lock(mutex_);
    reached_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  void wait_until_reached() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return reached_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  bool reached_ = false;
};

// A member on its own thread, in a CPU slot of `slots` if given, as a request is: begins,
// passes its gate (if any), then commits or rolls back.
class Member {
 public:
  Member(GroupCommit& group, bool succeed, Gate* gate = nullptr, CpuSlots* slots = nullptr)
      : thread_([this, &group, succeed, gate, slots] {
          const CpuSlot slot(slots);
          group.begin();
          if (gate) gate->pass();
          if (!succeed) {
            group.rollback();
            outcome_ = Outcome::rolled_back;
            return;
          }
          try {
            group.commit();
            outcome_ = Outcome::committed;
          } catch (const StoreError&) {
            outcome_ = Outcome::failed;
          }
        }) {}
  Outcome join() {
    thread_.join();
    return outcome_;
  }

 private:
  Outcome outcome_ = Outcome::pending;
  std::thread thread_;
};

// A member that hands its work over (GroupCommit::run) from its own thread: records the thread
// its work ran on, and throws from the work when told to.
class TaskMember {
 public:
  TaskMember(GroupCommit& group, bool succeed, CpuSlots* slots = nullptr)
      : thread_([this, &group, succeed, slots] {
          const CpuSlot slot(slots);
          caller_ = std::this_thread::get_id();
          try {
            group.run([this, succeed] {
              ran_on_ = std::this_thread::get_id();
              if (!succeed) throw std::runtime_error("refused");
            });
            outcome_ = Outcome::committed;
          } catch (const StoreError&) {
            outcome_ = Outcome::failed;
          } catch (const std::runtime_error&) {
            outcome_ = Outcome::rolled_back;
          }
        }) {}
  Outcome join() {
    thread_.join();
    return outcome_;
  }
  // After join().
  bool ran_on_own_thread() const { return ran_on_ == caller_; }
  std::thread::id ran_on() const { return ran_on_; }

 private:
  Outcome outcome_ = Outcome::pending;
  std::thread::id caller_;
  std::thread::id ran_on_;
  std::thread thread_;
};

// A member handed over with run_then: notes how its answer came (the outcome, the thread, and
// how many commits the batch connection had seen by then), and throws from the work when told.
class LaterMember {
 public:
  LaterMember(GroupCommit& group, bool succeed, const ScriptedBatch& batch) {
    group.run_then(
        [this, succeed] {
          ran_on_ = std::this_thread::get_id();
          ran_ = true;
          if (!succeed) throw std::runtime_error("refused");
        },
        [this, &batch](const std::exception_ptr& error) {
          Outcome outcome = Outcome::committed;
          try {
            if (error) std::rethrow_exception(error);
          } catch (const StoreError&) {
            outcome = Outcome::failed;
          } catch (const std::runtime_error&) {
            outcome = Outcome::rolled_back;
          }
          const std::lock_guard lock(mutex_);
          commits_when_answered_ = batch.count("COMMIT");
          answered_on_ = std::this_thread::get_id();
          ++answers_;
          outcome_ = outcome;
          answered_.notify_all();
        });
  }
  Outcome wait() {
    std::unique_lock lock(mutex_);
    EXPECT_TRUE(answered_.wait_for(lock, std::chrono::seconds(10), [this] {
      return outcome_ != Outcome::pending;
    })) << "never answered";
    return outcome_;
  }
  // After wait().
  std::thread::id ran_on() const { return ran_on_; }
  std::thread::id answered_on() const { return answered_on_; }
  int commits_when_answered() const { return commits_when_answered_; }
  int answers() const { return answers_; }
  bool ran() const { return ran_; }

 private:
  std::mutex mutex_;
  std::condition_variable answered_;
  Outcome outcome_ = Outcome::pending;
  std::thread::id ran_on_;
  std::atomic<bool> ran_{false};
  std::thread::id answered_on_;
  int commits_when_answered_ = 0;
  int answers_ = 0;
};

void wait_until(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// One member commits and is held in its COMMIT while `queued` more line up behind it.
class GroupCommitTest : public ::testing::Test {
 protected:
  void start_first_and_queue(const std::vector<bool>& queued_succeed) {
    batch_.hold_commits(true);
    first_ = std::make_unique<Member>(group_, true);
    batch_.wait_for_commits_entered(1);
    for (const bool succeed : queued_succeed) {
      queued_.push_back(std::make_unique<Member>(group_, succeed));
    }
    wait_until([&] { return group_.stats().queued == queued_succeed.size(); });
  }

  ScriptedBatch batch_;
  GroupCommit group_{batch_};
  std::unique_ptr<Member> first_;
  std::vector<std::unique_ptr<Member>> queued_;
};

TEST_F(GroupCommitTest, ALoneMemberCommitsItsOwnBatch) {
  Member member(group_, true);
  EXPECT_EQ(member.join(), Outcome::committed);
  EXPECT_EQ(batch_.count("BEGIN"), 1);
  EXPECT_EQ(batch_.count("SAVEPOINT callsight_member"), 1);
  EXPECT_EQ(batch_.count("RELEASE SAVEPOINT callsight_member"), 1);
  EXPECT_EQ(batch_.count("COMMIT"), 1);
  EXPECT_EQ(group_.stats().batches, 1u);
  EXPECT_EQ(group_.stats().members, 1u);
}

TEST_F(GroupCommitTest, MembersThatQueueDuringACommitShareTheNextOne) {
  start_first_and_queue({true, true, true});
  batch_.hold_commits(false);
  EXPECT_EQ(first_->join(), Outcome::committed);
  for (auto& member : queued_) EXPECT_EQ(member->join(), Outcome::committed);
  EXPECT_EQ(batch_.count("BEGIN"), 2);
  EXPECT_EQ(batch_.count("COMMIT"), 2);
  EXPECT_EQ(batch_.count("SAVEPOINT callsight_member"), 4);
  EXPECT_EQ(group_.stats().batches, 2u);
  EXPECT_EQ(group_.stats().members, 4u);
}

TEST_F(GroupCommitTest, AMemberThatRollsBackUndoesOnlyItsOwnWork) {
  start_first_and_queue({true, false, true});
  batch_.hold_commits(false);
  EXPECT_EQ(first_->join(), Outcome::committed);
  EXPECT_EQ(queued_[0]->join(), Outcome::committed);
  EXPECT_EQ(queued_[1]->join(), Outcome::rolled_back);
  EXPECT_EQ(queued_[2]->join(), Outcome::committed);
  EXPECT_EQ(batch_.count("ROLLBACK TO SAVEPOINT callsight_member"), 1);
  EXPECT_EQ(batch_.count("ROLLBACK"), 0);  // the batch itself is committed
  EXPECT_EQ(batch_.count("COMMIT"), 2);
  EXPECT_EQ(group_.stats().members, 3u);
}

TEST_F(GroupCommitTest, ABatchOfOnlyRolledBackMembersIsRolledBackNotCommitted) {
  Member member(group_, false);
  EXPECT_EQ(member.join(), Outcome::rolled_back);
  EXPECT_EQ(batch_.count("ROLLBACK"), 1);
  EXPECT_EQ(batch_.count("COMMIT"), 0);
  EXPECT_EQ(group_.stats().batches, 0u);
}

TEST_F(GroupCommitTest, WhenTheSharedCommitFailsEveryMemberOfThatBatchFails) {
  start_first_and_queue({true, true});
  batch_.fail_commits();
  batch_.hold_commits(false);
  EXPECT_EQ(first_->join(), Outcome::failed);
  for (auto& member : queued_) EXPECT_EQ(member->join(), Outcome::failed);
  EXPECT_EQ(group_.stats().batches, 0u);
}

TEST_F(GroupCommitTest, ABatchTheServerEndedFailsTheMembersReleasedIntoIt) {
  // `released` commits into the batch and hands it to `next`, queued behind it; the batch
  // then dies under `next` (as after an I/O error) and `next` rolls back: `released`'s work
  // was lost with the batch, so it must not be told it committed.
  Gate released_gate;
  Member released(group_, true, &released_gate);
  released_gate.wait_until_reached();
  Gate next_gate;
  Member next(group_, false, &next_gate);
  wait_until([&] { return group_.stats().queued == 1; });
  released_gate.open();
  next_gate.wait_until_reached();
  batch_.lose_batch();
  next_gate.open();
  EXPECT_EQ(released.join(), Outcome::failed);
  EXPECT_EQ(next.join(), Outcome::rolled_back);
  EXPECT_EQ(batch_.count("COMMIT"), 0);
  EXPECT_EQ(group_.stats().batches, 0u);

  Member after(group_, true);  // the next member starts a new batch
  EXPECT_EQ(after.join(), Outcome::committed);
  EXPECT_EQ(batch_.count("BEGIN"), 2);
}

// Members that hand their work over and queue during a commit are run, all of them, by the one
// whose turn it is next, in the next batch: each of the others wakes once, when it is durable.
TEST_F(GroupCommitTest, QueuedWorkIsRunByTheMemberWhoseTurnItIsAndSharesItsBatch) {
  batch_.hold_commits(true);
  TaskMember first(group_, true);
  batch_.wait_for_commits_entered(1);
  std::vector<std::unique_ptr<TaskMember>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(std::make_unique<TaskMember>(group_, true));
  wait_until([&] { return group_.stats().queued == 3; });
  batch_.hold_commits(false);
  EXPECT_EQ(first.join(), Outcome::committed);
  EXPECT_TRUE(first.ran_on_own_thread());
  int on_own_thread = 0;
  for (auto& member : queued) {
    EXPECT_EQ(member->join(), Outcome::committed);
    on_own_thread += member->ran_on_own_thread() ? 1 : 0;
    EXPECT_EQ(member->ran_on(), queued.front()->ran_on()) << "one thread ran the queue";
  }
  EXPECT_EQ(on_own_thread, 1) << "only the queue's leader ran its own work";
  EXPECT_EQ(batch_.count("BEGIN"), 2);
  EXPECT_EQ(batch_.count("SAVEPOINT callsight_member"), 4);
  EXPECT_EQ(batch_.count("COMMIT"), 2);
  EXPECT_EQ(group_.stats().members, 4u);
}

// Work that throws is undone alone, and its caller gets what it threw; work queued behind a
// member that began its own transaction is run by that member before it commits.
TEST_F(GroupCommitTest, QueuedWorkThatThrowsIsUndoneAloneAndRethrownToItsCaller) {
  Gate gate;
  Member holder(group_, true, &gate);
  gate.wait_until_reached();
  TaskMember refused(group_, false);
  TaskMember accepted(group_, true);
  wait_until([&] { return group_.stats().queued == 2; });
  gate.open();
  EXPECT_EQ(holder.join(), Outcome::committed);
  EXPECT_EQ(refused.join(), Outcome::rolled_back);
  EXPECT_EQ(accepted.join(), Outcome::committed);
  EXPECT_FALSE(refused.ran_on_own_thread());
  EXPECT_FALSE(accepted.ran_on_own_thread());
  EXPECT_EQ(batch_.count("ROLLBACK TO SAVEPOINT callsight_member"), 1);
  EXPECT_EQ(batch_.count("COMMIT"), 1);
  EXPECT_EQ(group_.stats().members, 2u);
}

TEST_F(GroupCommitTest, WhenTheSharedCommitFailsEveryTaskOfThatBatchFails) {
  batch_.hold_commits(true);
  TaskMember first(group_, true);
  batch_.wait_for_commits_entered(1);
  TaskMember second(group_, true);
  TaskMember third(group_, true);
  wait_until([&] { return group_.stats().queued == 2; });
  batch_.fail_commits();
  batch_.hold_commits(false);
  EXPECT_EQ(first.join(), Outcome::failed);
  EXPECT_EQ(second.join(), Outcome::failed);
  EXPECT_EQ(third.join(), Outcome::failed);
  EXPECT_EQ(group_.stats().batches, 0u);
}

// With one CPU slot, the members behind a commit can only line up if the committing member
// gave its slot back, and each can only let the next one in by giving its own back while it
// waits for its turn; otherwise they would take turns through the slot and batch nothing.
TEST(GroupCommitSlotTest, MembersWaitForTheirTurnAndTheirCommitWithoutTheirCpuSlot) {
  ScriptedBatch batch;
  GroupCommit group{batch};
  CpuSlots slots(1, std::chrono::seconds(60));
  batch.hold_commits(true);
  Member first(group, true, nullptr, &slots);
  batch.wait_for_commits_entered(1);
  std::vector<std::unique_ptr<Member>> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(std::make_unique<Member>(group, true, nullptr, &slots));
  }
  wait_until([&] { return group.stats().queued == 3; });
  EXPECT_EQ(slots.stats().busy, 0u);
  const auto sleeps_to_start = slots.stats().sleeps;  // threads that started while one ran
  batch.hold_commits(false);
  EXPECT_EQ(first.join(), Outcome::committed);
  for (auto& member : queued) EXPECT_EQ(member->join(), Outcome::committed);
  EXPECT_EQ(group.stats().batches, 2u);
  EXPECT_EQ(slots.stats().overruns, 0u);
  EXPECT_EQ(slots.stats().busy, 0u);
  // Each was woken once the turn or its settled batch and a slot were its own, never to find
  // the slot busy and sleep for it again.
  EXPECT_EQ(slots.stats().sleeps, sleeps_to_start);
}

// As above for members that hand their work over: they queue without their slot, and the one
// given the batch connection runs the others' work in its own.
TEST(GroupCommitSlotTest, HandedOverWorkWaitsWithoutItsCpuSlot) {
  ScriptedBatch batch;
  GroupCommit group{batch};
  CpuSlots slots(1, std::chrono::seconds(60));
  batch.hold_commits(true);
  TaskMember first(group, true, &slots);
  batch.wait_for_commits_entered(1);
  std::vector<std::unique_ptr<TaskMember>> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(std::make_unique<TaskMember>(group, true, &slots));
  }
  wait_until([&] { return group.stats().queued == 3; });
  EXPECT_EQ(slots.stats().busy, 0u);
  const auto sleeps_to_start = slots.stats().sleeps;  // threads that started while one ran
  batch.hold_commits(false);
  EXPECT_EQ(first.join(), Outcome::committed);
  for (auto& member : queued) EXPECT_EQ(member->join(), Outcome::committed);
  EXPECT_EQ(group.stats().batches, 2u);
  EXPECT_EQ(slots.stats().overruns, 0u);
  EXPECT_EQ(slots.stats().busy, 0u);
  // Each was woken once the turn or its settled batch and a slot were its own, never to find
  // the slot busy and sleep for it again.
  EXPECT_EQ(slots.stats().sleeps, sleeps_to_start);
}

TEST(GroupCommitLimitTest, ABatchHoldsAtMostMaxMembers) {
  ScriptedBatch batch;
  GroupCommit group(batch, /*max_members=*/2);
  batch.hold_commits(true);
  Member first(group, true);
  batch.wait_for_commits_entered(1);
  std::vector<std::unique_ptr<Member>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(std::make_unique<Member>(group, true));
  wait_until([&] { return group.stats().queued == 3; });
  batch.hold_commits(false);
  EXPECT_EQ(first.join(), Outcome::committed);
  for (auto& member : queued) EXPECT_EQ(member->join(), Outcome::committed);
  // The first alone; two of the queued three; the last one alone.
  EXPECT_EQ(batch.count("COMMIT"), 3);
  EXPECT_EQ(group.stats().members, 4u);
}

// With nobody holding the batch connection, work handed over with run_then is run by the group
// commit's writing thread, not the caller's, and answered once its batch is durable.
TEST_F(GroupCommitTest, LaterWorkWithNobodyRunningIsWrittenByTheWritingThread) {
  LaterMember later(group_, true, batch_);
  EXPECT_EQ(later.wait(), Outcome::committed);
  EXPECT_NE(later.ran_on(), std::this_thread::get_id());
  EXPECT_EQ(later.answered_on(), later.ran_on());
  EXPECT_EQ(later.commits_when_answered(), 1) << "answered before its commit";
  EXPECT_EQ(later.answers(), 1);
  EXPECT_EQ(group_.stats().batches, 1u);
  EXPECT_EQ(group_.stats().handed_over, 1u);
}

// Later work queued behind a member's commit shares the next batch, and each is answered once
// that batch is durable.
TEST_F(GroupCommitTest, LaterWorkQueuedDuringACommitSharesTheNextBatch) {
  batch_.hold_commits(true);
  Member first(group_, true);
  batch_.wait_for_commits_entered(1);
  std::vector<std::unique_ptr<LaterMember>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(std::make_unique<LaterMember>(group_, true, batch_));
  EXPECT_EQ(group_.stats().queued, 3u);
  batch_.hold_commits(false);
  EXPECT_EQ(first.join(), Outcome::committed);
  for (auto& later : queued) {
    EXPECT_EQ(later->wait(), Outcome::committed);
    EXPECT_EQ(later->commits_when_answered(), 2) << "answered before its batch's commit";
    EXPECT_EQ(later->ran_on(), queued.front()->ran_on()) << "one thread ran the queue";
  }
  EXPECT_EQ(batch_.count("BEGIN"), 2);
  EXPECT_EQ(batch_.count("COMMIT"), 2);
  EXPECT_EQ(group_.stats().members, 4u);
}

// Later work that throws is undone alone and answered with what it threw; a member waiting for
// its turn behind later work still gets it and shares the batch.
TEST_F(GroupCommitTest, LaterWorkThatThrowsIsUndoneAloneAndAnsweredWithWhatItThrew) {
  Gate gate;
  Member holder(group_, true, &gate);
  gate.wait_until_reached();
  LaterMember refused(group_, false, batch_);
  LaterMember accepted(group_, true, batch_);
  Member behind(group_, true);
  wait_until([&] { return group_.stats().queued == 3; });
  gate.open();
  EXPECT_EQ(holder.join(), Outcome::committed);
  EXPECT_EQ(refused.wait(), Outcome::rolled_back);
  EXPECT_EQ(accepted.wait(), Outcome::committed);
  EXPECT_EQ(behind.join(), Outcome::committed);
  EXPECT_EQ(refused.answers(), 1);
  EXPECT_EQ(batch_.count("ROLLBACK TO SAVEPOINT callsight_member"), 1);
  EXPECT_EQ(batch_.count("COMMIT"), 1);
  EXPECT_EQ(group_.stats().members, 3u);
}

TEST_F(GroupCommitTest, WhenTheSharedCommitFailsEveryLaterTaskOfThatBatchIsAnsweredSo) {
  batch_.hold_commits(true);
  Member first(group_, true);
  batch_.wait_for_commits_entered(1);
  LaterMember second(group_, true, batch_);
  LaterMember third(group_, true, batch_);
  batch_.fail_commits();
  batch_.hold_commits(false);
  EXPECT_EQ(first.join(), Outcome::failed);
  EXPECT_EQ(second.wait(), Outcome::failed);
  EXPECT_EQ(third.wait(), Outcome::failed);
  EXPECT_EQ(group_.stats().batches, 0u);
}

// A member waiting for its turn is not kept waiting by work handed over after it: under load
// run_then's tasks keep coming, and running them first could hold it for as long as they do.
TEST_F(GroupCommitTest, AMemberWaitingForItsTurnGoesBeforeQueuedLaterWork) {
  Gate holder_gate;
  Member holder(group_, true, &holder_gate);
  holder_gate.wait_until_reached();
  LaterMember later(group_, true, batch_);
  Gate waiting_gate;
  Member waiting(group_, true, &waiting_gate);
  wait_until([&] { return group_.stats().queued == 2; });
  holder_gate.open();
  waiting_gate.wait_until_reached();
  EXPECT_FALSE(later.ran()) << "the queued work ran before the member waiting for its turn";
  waiting_gate.open();
  EXPECT_EQ(holder.join(), Outcome::committed);
  EXPECT_EQ(waiting.join(), Outcome::committed);
  EXPECT_EQ(later.wait(), Outcome::committed);
  EXPECT_EQ(batch_.count("COMMIT"), 1) << "all three share one batch";
}

// What must not run beside a write (SQLite's checkpoint) waits for a batch kept open for it to
// commit, its member answered, before it runs.
TEST_F(GroupCommitTest, WorkBetweenBatchesRunsAfterTheBatchKeptOpenForItCommits) {
  Gate gate;
  Member first(group_, true, &gate);
  gate.wait_until_reached();
  std::atomic<int> commits_seen{-1};
  std::atomic<bool> batch_open_seen{true};
  std::thread between([&] {
    group_.between_batches([&] {
      commits_seen = batch_.count("COMMIT");
      batch_open_seen = batch_.batch_alive();
    });
  });
  wait_until([&] { return group_.stats().queued == 1; });
  gate.open();
  EXPECT_EQ(first.join(), Outcome::committed);
  between.join();
  EXPECT_EQ(commits_seen, 1) << "ran before the batch it waited for committed";
  EXPECT_FALSE(batch_open_seen);
  EXPECT_EQ(batch_.count("BEGIN"), 1);
  EXPECT_EQ(group_.stats().members, 1u);
}

// Members, handed-over work and work between batches all at once: the last never sees a batch
// open or a member's work under way, and every member still commits.
TEST_F(GroupCommitTest, WorkBetweenBatchesNeverRunsBesideAWrite) {
  std::atomic<int> writing{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> between_runs{0};
  std::atomic<bool> stop{false};
  std::thread between([&] {
    while (!stop) {
      group_.between_batches([&] {
        if (writing != 0 || batch_.batch_alive()) ++overlaps;
        ++between_runs;
      });
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int> committed{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        group_.run([&] {
          ++writing;
          std::this_thread::yield();
          --writing;
        });
        ++committed;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  stop = true;
  between.join();
  EXPECT_EQ(overlaps, 0);
  EXPECT_GT(between_runs, 0);
  EXPECT_EQ(committed, 800);
  EXPECT_EQ(group_.stats().members, 800u);
}

}  // namespace
}  // namespace callsight
