#include "common/cpu_slots.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace callsight {
namespace {

// Long enough that a wait which should have been granted never ends in an overrun on a slow,
// shared machine: an overrun in these tests means the slot was not handed on.
constexpr std::chrono::milliseconds kPatient{10'000};

// The order in which threads ran their work.
struct RunOrder {
  std::mutex mutex;
  std::vector<std::string> names;
  void ran(const char* who) {
    const std::lock_guard lock(mutex);
    names.emplace_back(who);
  }
};

// Waits until `slots` has `count` threads asleep in its queue.
void wait_for_queue(const CpuSlots& slots, std::size_t count) {
  while (slots.stats().queued < count) std::this_thread::yield();
}

TEST(CpuSlots, OneSlotRunsOneThreadAtATime) {
  CpuSlots slots(1, kPatient);
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      const CpuSlot slot(&slots);
      const int now = ++inside;
      int seen = most_inside.load();
      while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
      }
      // Without the slot the others would pile in meanwhile.
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
      --inside;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(most_inside.load(), 1);
  const auto stats = slots.stats();
  EXPECT_EQ(stats.taken, 6u);
  EXPECT_EQ(stats.overruns, 0u);
  EXPECT_EQ(stats.busy, 0u);
}

TEST(CpuSlots, WaitersTakeTheSlotInTheOrderTheyAsked) {
  CpuSlots slots(1, kPatient);
  std::mutex order_mutex;
  std::vector<int> order;
  std::vector<std::thread> threads;
  {
    const CpuSlot held(&slots);
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        const CpuSlot slot(&slots);
        const std::lock_guard lock(order_mutex);
        order.push_back(i);
      });
      wait_for_queue(slots, static_cast<std::size_t>(i) + 1);
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(slots.stats().waits, 4u);
}

// A request back from a wait may hold what others wait for (the group commit's turn, a
// row lock): it goes before the requests that have not started.
TEST(CpuSlots, AThreadBackFromAWaitGoesBeforeThoseNotYetStarted) {
  CpuSlots slots(1, kPatient);
  RunOrder order;
  const auto ran = [&](const char* who) { order.ran(who); };
  std::promise<void> waiting;
  std::promise<void> wait_over;
  std::thread resumer([&] {
    const CpuSlot slot(&slots);
    {
      const CpuSlotReleased round_trip;
      waiting.set_value();
      wait_over.get_future().wait();
    }
    ran("resumer");
  });
  waiting.get_future().wait();
  std::thread starter;
  {
    const CpuSlot held(&slots);
    starter = std::thread([&] {
      const CpuSlot slot(&slots);
      ran("starter");
    });
    wait_for_queue(slots, 1);
    wait_over.set_value();
    wait_for_queue(slots, 2);
  }
  resumer.join();
  starter.join();
  EXPECT_EQ(order.names, (std::vector<std::string>{"resumer", "starter"}));
  EXPECT_EQ(slots.stats().overruns, 0u);
}

// A thread as a group commit's member: takes a slot, gives it back to sleep until wake(), then
// runs `then`. `asleep` gets what to wake it with.
std::thread sleeping_member(CpuSlots& slots, std::promise<CpuSlotReleased*>& asleep,
                            std::function<void()> then = {}) {
  return std::thread([&slots, &asleep, then = std::move(then)] {
    const CpuSlot slot(&slots);
    CpuSlotReleased commit;
    asleep.set_value(&commit);
    commit.sleep();
    if (then) then();
  });
}

// A group commit's member sleeps until its batch is durable; woken while every slot is busy, it
// would only sleep again for a slot. wake() queues it for the slot instead, and it wakes once,
// holding it.
TEST(CpuSlots, AThreadWokenFromItsSleepWhileTheSlotsAreBusyWakesOnceOneIsItsOwn) {
  CpuSlots slots(1, kPatient);
  RunOrder order;
  std::promise<CpuSlotReleased*> asleep;
  std::thread member = sleeping_member(slots, asleep, [&] { order.ran("member"); });
  CpuSlotReleased* commit = asleep.get_future().get();
  {
    const CpuSlot held(&slots);  // the slot the member gave back
    commit->wake();
    wait_for_queue(slots, 1);  // queued for the slot, not running
    order.ran("holder");
  }
  member.join();
  EXPECT_EQ(order.names, (std::vector<std::string>{"holder", "member"}));
  const auto stats = slots.stats();
  EXPECT_EQ(stats.sleeps, 0u);  // no second sleep: the slot came with the wake
  EXPECT_EQ(stats.waits, 1u);
  EXPECT_EQ(stats.overruns, 0u);
  EXPECT_EQ(stats.busy, 0u);  // the member held it to the end of its CpuSlot, and gave it back
}

TEST(CpuSlots, AThreadWokenWhileASlotIsFreeTakesItAtOnce) {
  CpuSlots slots(1, kPatient);
  std::promise<CpuSlotReleased*> asleep;
  std::thread member = sleeping_member(slots, asleep, [&] { EXPECT_EQ(slots.stats().busy, 1u); });
  asleep.get_future().get()->wake();
  member.join();
  const auto stats = slots.stats();
  EXPECT_EQ(stats.waits, 0u);
  EXPECT_EQ(stats.taken, 2u);
  EXPECT_EQ(stats.busy, 0u);
}

TEST(CpuSlots, AWokenThreadQueuedForTheSlotGivesUpAfterTheLongestWait) {
  CpuSlots slots(1, std::chrono::milliseconds(20));
  std::promise<CpuSlotReleased*> asleep;
  std::thread member;
  {
    member = sleeping_member(slots, asleep);
    CpuSlotReleased* commit = asleep.get_future().get();
    const CpuSlot held(&slots);
    commit->wake();
    member.join();  // runs without a slot after 20 ms while this one is held
  }
  const auto stats = slots.stats();
  EXPECT_EQ(stats.overruns, 1u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.busy, 0u);
}

TEST(CpuSlots, ASlotGivenBackForAWaitLetsAnotherThreadRun) {
  CpuSlots slots(1, kPatient);
  std::promise<void> other_ran;
  std::thread holder([&] {
    const CpuSlot slot(&slots);
    // The wait (a commit, a database answer) is for work that itself needs a slot.
    const CpuSlotReleased waiting;
    std::thread other([&] {
      const CpuSlot other_slot(&slots);
      other_ran.set_value();
    });
    other_ran.get_future().wait();
    other.join();
  });
  holder.join();
  const auto stats = slots.stats();
  EXPECT_EQ(stats.overruns, 0u);
  EXPECT_EQ(stats.busy, 0u);
  EXPECT_EQ(stats.taken, 3u);  // the holder, the other, the holder again after its wait
}

TEST(CpuSlots, ANestedSlotIsTheOneAlreadyHeld) {
  CpuSlots slots(1, kPatient);
  {
    const CpuSlot outer(&slots);
    const CpuSlot inner(&slots);  // a second take would wait on the first forever
    EXPECT_EQ(slots.stats().busy, 1u);
  }
  const auto stats = slots.stats();
  EXPECT_EQ(stats.taken, 1u);
  EXPECT_EQ(stats.waits, 0u);
  EXPECT_EQ(stats.busy, 0u);
}

TEST(CpuSlots, AThreadWithoutASlotGivesNothingBack) {
  CpuSlots slots(1, kPatient);
  const CpuSlot held(&slots);
  std::thread job([&] { const CpuSlotReleased waiting; });
  job.join();
  const auto stats = slots.stats();
  EXPECT_EQ(stats.busy, 1u);
  EXPECT_EQ(stats.taken, 1u);
}

TEST(CpuSlots, AWaitGivesUpAfterTheLongestWaitAndIsCounted) {
  CpuSlots slots(1, std::chrono::milliseconds(20));
  const CpuSlot held(&slots);
  std::thread late([&] {
    const CpuSlot slot(&slots);  // runs without one after 20 ms
  });
  late.join();
  const auto stats = slots.stats();
  EXPECT_EQ(stats.overruns, 1u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.busy, 1u);  // the held slot only: the overrun took none to give back
}

TEST(CpuSlots, AMutexWaitGivesTheSlotBackToTheThreadThatHoldsTheMutex) {
  CpuSlots slots(1, kPatient);
  std::mutex shared;
  std::promise<void> locked;
  std::promise<void> contender_waiting;
  std::thread owner([&] {
    const CpuSlot slot(&slots);
    std::unique_lock lock(shared);
    {
      const CpuSlotReleased round_trip;  // a database answer, with the mutex held
      locked.set_value();
      contender_waiting.get_future().wait();
    }  // takes the slot again: only possible if the contender gave it back
  });
  locked.get_future().wait();
  std::thread contender([&] {
    const CpuSlot slot(&slots);
    contender_waiting.set_value();
    const auto lock = lock_giving_slot_back(shared);
  });
  owner.join();
  contender.join();
  EXPECT_EQ(slots.stats().overruns, 0u);
  EXPECT_EQ(slots.stats().busy, 0u);
}

// What an io_context does with posted work, kept to be run by the test.
struct PostedWork {
  std::mutex mutex;
  std::vector<CpuSlots::Work> posted;
  CpuSlots::Post post() {
    return [this](CpuSlots::Work work) {
      const std::lock_guard lock(mutex);
      posted.push_back(std::move(work));
    };
  }
  std::size_t count() {
    const std::lock_guard lock(mutex);
    return posted.size();
  }
};

// The io threads never sleep on a slot: a completion that finds the slots busy is queued and
// the holder runs it after its own work, in order, with no thread handed the slot.
TEST(CpuSlots, WorkThatFindsTheSlotsBusyRunsOnTheHolderAfterItsOwnWork) {
  CpuSlots slots(1, kPatient);
  PostedWork posted;
  std::vector<std::string> order;
  std::vector<std::thread::id> ran_on;
  std::promise<void> holder_inside;
  std::promise<void> queued;
  std::thread holder([&] {
    slots.run(
        [&] {
          holder_inside.set_value();
          queued.get_future().wait();
          order.emplace_back("holder");
        },
        posted.post());
  });
  holder_inside.get_future().wait();
  std::thread io([&] {
    for (const char* name : {"first", "second"}) {
      slots.run(
          [&, name] {
            order.emplace_back(name);
            ran_on.push_back(std::this_thread::get_id());
          },
          posted.post());
    }
  });
  io.join();  // it queued both and went on: it did not sleep
  EXPECT_EQ(slots.stats().queued, 2u);
  const auto holder_id = holder.get_id();
  queued.set_value();
  holder.join();
  EXPECT_EQ(order, (std::vector<std::string>{"holder", "first", "second"}));
  EXPECT_EQ(ran_on, (std::vector<std::thread::id>{holder_id, holder_id}));
  EXPECT_EQ(posted.count(), 0u);
  const auto stats = slots.stats();
  EXPECT_EQ(stats.taken, 3u);
  EXPECT_EQ(stats.waits, 2u);
  EXPECT_EQ(stats.sleeps, 0u);
  EXPECT_GT(stats.wait_seconds, 0.0);  // their time in the queue
  EXPECT_EQ(stats.busy, 0u);
}

// A holder that waits (a commit) cannot run the queued work: it goes to a thread of its
// io_context to take a slot there, and the holder sleeps for a slot when its wait is over.
// The slot does not travel with the work: while every io thread waits, so does posted work,
// and a slot inside it would keep the holder asleep.
TEST(CpuSlots, AHolderThatWaitsHandsTheQueuedWorkToItsIoContext) {
  CpuSlots slots(1, kPatient);
  PostedWork posted;
  std::promise<void> holder_inside;
  std::promise<void> queued;
  std::promise<void> wait_over;
  std::atomic<bool> queued_ran{false};
  std::thread holder([&] {
    slots.run(
        [&] {
          holder_inside.set_value();
          queued.get_future().wait();
          const CpuSlotReleased commit;
          wait_over.get_future().wait();
        },
        posted.post());
  });
  holder_inside.get_future().wait();
  slots.run([&] { queued_ran = true; }, posted.post());
  queued.set_value();
  while (posted.count() == 0) std::this_thread::yield();
  EXPECT_EQ(slots.stats().busy, 0u);  // free: the holder is back without waiting for the work
  wait_over.set_value();
  holder.join();
  EXPECT_FALSE(queued_ran.load());
  std::thread io([&] { posted.posted.front()(); });
  io.join();
  EXPECT_TRUE(queued_ran.load());
  const auto stats = slots.stats();
  EXPECT_EQ(stats.overruns, 0u);
  EXPECT_EQ(stats.busy, 0u);
  EXPECT_EQ(stats.queued, 0u);
}

// A request back from its wait holds what others may wait for: it goes before queued work.
TEST(CpuSlots, AThreadBackFromAWaitGoesBeforeQueuedWork) {
  CpuSlots slots(1, kPatient);
  PostedWork posted;
  RunOrder order;
  const auto ran = [&](const char* who) { order.ran(who); };
  std::promise<void> waiting;
  std::promise<void> wait_over;
  std::thread resumer([&] {
    slots.run(
        [&] {
          {
            const CpuSlotReleased round_trip;
            waiting.set_value();
            wait_over.get_future().wait();
          }
          ran("resumer");
        },
        posted.post());
  });
  waiting.get_future().wait();
  slots.run(
      [&] {
        slots.run([&] { ran("nested"); }, posted.post());  // runs at once: this thread holds one
        std::thread queuer([&] { slots.run([&] { ran("queued"); }, posted.post()); });
        queuer.join();
        wait_over.set_value();
        wait_for_queue(slots, 2);
      },
      posted.post());
  resumer.join();
  EXPECT_EQ(order.names, (std::vector<std::string>{"nested", "resumer", "queued"}));
  EXPECT_EQ(posted.count(), 0u);  // the resumer ran the queued work after its own
  EXPECT_EQ(slots.stats().busy, 0u);
}

TEST(CpuSlots, ZeroMeansOneSlotPerUsableCore) {
  EXPECT_GE(CpuSlots::usable_cores(), 1u);
  EXPECT_EQ(CpuSlots(0).size(), CpuSlots::usable_cores());
  EXPECT_EQ(CpuSlots(3).size(), 3u);
}

}  // namespace
}  // namespace callsight
