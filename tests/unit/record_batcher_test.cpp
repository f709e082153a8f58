#include "switch/record_batcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/cpu_slots.hpp"

namespace callsight::switching {
namespace {

// A call record store that only records: each record_calls names its records in `batches`,
// the first one waits until released, and a batch holding "bad" fails whole.
class BatchRecordingStore : public CallRecordStore {
 public:
  CallRecord record_call(const CallRecord& record) override {
    return record_calls(std::span(&record, 1)).front().record;
  }
  std::vector<RecordedCall> record_calls(std::span<const CallRecord> records) override {
    std::unique_lock lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& record : records) ids.push_back(record.switch_call_id);
    batches.push_back(ids);
    entered_ = true;
    changed_.notify_all();
    {
      const CpuSlotReleased flushing;  // as the group commit's flush does
      changed_.wait(lock, [&] { return released_; });
    }
    if (std::find(ids.begin(), ids.end(), "bad") != ids.end()) {
      throw StoreError("cannot write");
    }
    std::vector<RecordedCall> out;
    for (const auto& record : records) {
      out.push_back({.record = record, .inserted = true});
      out.back().record.id = ++last_id_;
    }
    return out;
  }
  void wait_until_entered() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  std::vector<std::vector<std::string>> sorted_batches() {
    std::lock_guard lock(mutex_);
    auto sorted = batches;
    for (auto& batch : sorted) std::sort(batch.begin(), batch.end());
    return sorted;
  }

  std::optional<CallRecord> find_call_by_switch_id(std::string_view) override { return {}; }
  AppliedCallEvent apply_event(std::string_view, const CallEvent&) override { throw unused(); }
  std::vector<std::optional<AppliedCallEvent>> apply_events(
      std::span<const SwitchCallEvent>) override {
    throw unused();
  }
  std::vector<Id> open_call_ids(TimePoint, int) override { throw unused(); }
  std::optional<AppliedCallEvent> close_overdue_call(Id, TimePoint, std::chrono::seconds) override {
    throw unused();
  }
  std::optional<CallRecord> find_call(Id, Id) override { throw unused(); }
  Page<CallRecord> list_calls(Id, const CallRecordFilter&, PageRequest) override { throw unused(); }
  ErasedCaller erase_caller(Id, const std::string&) override { throw unused(); }

  std::vector<std::vector<std::string>> batches;  // under mutex_

 private:
  static StoreError unused() { return StoreError("not used by RecordBatcher"); }

  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool released_ = false;
  Id last_id_ = 0;
};

CallRecord record_of(const std::string& switch_call_id) {
  CallRecord record;
  record.switch_call_id = switch_call_id;
  return record;
}

// Three requests: the first writes alone while the other two queue, then they are written
// together, each answered with its own record.
class RecordBatcherTest : public ::testing::Test {
 protected:
  // Starts "first" (held in its write) and then `others`, returning once all are queued.
  void start(const std::vector<std::string>& others) {
    threads_.emplace_back([this] { outcome("first"); });
    store_.wait_until_entered();
    for (const auto& id : others) threads_.emplace_back([this, id] { outcome(id); });
    while (batcher_.stats().queued < others.size()) std::this_thread::yield();
  }
  void finish() {
    store_.release();
    for (auto& thread : threads_) thread.join();
  }
  // Until `count` requests have their answer (those of record_then come from the writing
  // thread, after finish() too).
  void wait_for_results(std::size_t count) {
    for (;;) {
      {
        std::lock_guard lock(results_mutex_);
        if (results_.size() >= count) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void outcome(const std::string& id) {
    const CpuSlot slot(slots_);  // as a request's work runs
    std::string result;
    try {
      const auto recorded = batcher_.record(record_of(id));
      result = recorded.record.switch_call_id + (recorded.inserted ? " inserted" : " found");
    } catch (const StoreError& error) {
      result = std::string("failed: ") + error.what();
    }
    std::lock_guard lock(results_mutex_);
    results_[id] = result;
  }

  CpuSlots* slots_ = nullptr;
  BatchRecordingStore store_;
  RecordBatcher batcher_{store_};
  std::vector<std::thread> threads_;
  std::mutex results_mutex_;
  std::map<std::string, std::string> results_;
};

TEST_F(RecordBatcherTest, RequestsArrivingDuringAWriteAreWrittenTogether) {
  start({"b", "c"});
  finish();
  EXPECT_EQ(store_.sorted_batches(),
            (std::vector<std::vector<std::string>>{{"first"}, {"b", "c"}}));
  EXPECT_EQ(results_, (std::map<std::string, std::string>{
                          {"first", "first inserted"}, {"b", "b inserted"}, {"c", "c inserted"}}));
  EXPECT_EQ(batcher_.stats().batches, 2u);
  EXPECT_EQ(batcher_.stats().records, 3u);
}

// With one CPU slot, a request can only queue behind the write under way if the request
// before it gave its slot back while it waits for that write.
TEST_F(RecordBatcherTest, RequestsWaitingForABatchGiveTheirCpuSlotBack) {
  CpuSlots slots(1, std::chrono::seconds(60));
  slots_ = &slots;
  start({"b", "c", "d"});
  const auto sleeps_to_start = slots.stats().sleeps;  // threads that started while one ran
  finish();
  EXPECT_EQ(store_.sorted_batches(),
            (std::vector<std::vector<std::string>>{{"first"}, {"b", "c", "d"}}));
  EXPECT_EQ(slots.stats().overruns, 0u);
  EXPECT_EQ(slots.stats().busy, 0u);
  // Each was woken once its result, or the writing, and a slot were its own, never to find the
  // slot busy and sleep for it again.
  EXPECT_EQ(slots.stats().sleeps, sleeps_to_start);
}

TEST_F(RecordBatcherTest, ARecordThatCannotBeWrittenFailsOnlyItsOwnRequest) {
  start({"bad", "good"});
  finish();
  const auto batches = store_.sorted_batches();
  ASSERT_EQ(batches.size(), 4u);  // first; bad and good; then each alone
  EXPECT_EQ(batches[1], (std::vector<std::string>{"bad", "good"}));
  EXPECT_EQ(results_, (std::map<std::string, std::string>{{"first", "first inserted"},
                                                          {"bad", "failed: cannot write"},
                                                          {"good", "good inserted"}}));
}

// Requests that do not wait (record_then) queue during a write and return at once; the
// batcher's writing thread writes them in the next batch (the waiting request "first" hands
// the queue to it) and answers each when it is durable, with what a waiting request would have
// been given.
TEST_F(RecordBatcherTest, RequestsThatDoNotWaitAreWrittenTogetherByTheWriter) {
  threads_.emplace_back([this] { outcome("first"); });
  store_.wait_until_entered();
  const auto answer = [this](std::optional<RecordedCall> stored, std::exception_ptr error) {
    std::string result;
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const StoreError& e) {
        result = std::string("failed: ") + e.what();
      }
    }
    const std::string id = stored ? stored->record.switch_call_id : "bad";
    if (stored) result = id + (stored->inserted ? " inserted" : " found");
    std::lock_guard lock(results_mutex_);
    results_[id] = result;
  };
  // Returns before the write under way ends.
  batcher_.record_then(record_of("b"), answer);
  batcher_.record_then(record_of("bad"), answer);
  batcher_.record_then(record_of("c"), answer);
  EXPECT_EQ(batcher_.stats().queued, 3u);
  {
    std::lock_guard lock(results_mutex_);
    EXPECT_TRUE(results_.empty());
  }
  finish();
  wait_for_results(4);
  const auto batches = store_.sorted_batches();
  ASSERT_EQ(batches.size(), 5u);  // first; b, bad and c; then each alone
  EXPECT_EQ(batches[1], (std::vector<std::string>{"b", "bad", "c"}));
  EXPECT_EQ(results_, (std::map<std::string, std::string>{{"first", "first inserted"},
                                                          {"b", "b inserted"},
                                                          {"bad", "failed: cannot write"},
                                                          {"c", "c inserted"}}));
  EXPECT_EQ(batcher_.stats().queued, 0u);
}

// With nothing under way, a request that does not wait is written by the batcher's writing
// thread, never by the caller's: a request's thread writing batch after batch held its own
// connection's answer back for as long as records kept coming (a route request's p99 at
// 330-430 ms).
TEST_F(RecordBatcherTest, ARequestThatDoesNotWaitIsWrittenByTheWritingThread) {
  store_.release();
  std::thread::id written_on;
  batcher_.record_then(record_of("alone"),
                       [&](std::optional<RecordedCall> stored, std::exception_ptr) {
                         written_on = std::this_thread::get_id();
                         const std::lock_guard lock(results_mutex_);
                         results_["alone"] = stored ? stored->record.switch_call_id : "none";
                       });
  wait_for_results(1);
  EXPECT_EQ(results_["alone"], "alone");
  EXPECT_NE(written_on, std::this_thread::get_id());
  EXPECT_EQ(store_.sorted_batches(), (std::vector<std::vector<std::string>>{{"alone"}}));
}

}  // namespace
}  // namespace callsight::switching
