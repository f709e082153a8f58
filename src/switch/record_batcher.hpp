#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "store/call_record_store.hpp"

namespace callsight::switching {

// Writes the records of calls routed at the same time in one write transaction
// (CallRecordStore::record_calls), so concurrent route requests share one member of the
// store's group commit instead of each opening its own. The batcher's writing thread writes
// every record queued, batch after batch, until the queue is empty; a request that waits for
// its own result (record()) and finds no write under way writes the queue itself, once, and
// then hands the writing to another such request queued, or to the writing thread. Each result
// is given once its batch is durable. When a batch fails, its records are written one by one,
// so one record that cannot be written fails only its own request.
class RecordBatcher {
 public:
  explicit RecordBatcher(CallRecordStore& calls) : calls_(calls) {}
  ~RecordBatcher();
  RecordBatcher(const RecordBatcher&) = delete;
  RecordBatcher& operator=(const RecordBatcher&) = delete;

  // record_calls of this one record, batched with others asked for meanwhile; throws what
  // record_calls threw for it alone.
  RecordedCall record(const CallRecord& record);

  // What record() returns (or throws: then `result` is empty and `error` set).
  using Written = std::function<void(std::optional<RecordedCall> result, std::exception_ptr error)>;
  // record() without waiting: `written` is called once the record's batch is durable (or
  // failed), on the batcher's own writing thread. Its exceptions are logged and dropped.
  void record_then(CallRecord record, Written written);

  struct Stats {
    std::size_t batches = 0;  // write transactions
    std::size_t records = 0;  // records written through them
    std::size_t queued = 0;   // requests waiting for the next batch now
  };
  Stats stats() const;

 private:
  struct Pending;
  // Writes the queue, batch after batch; called with `lock` held and writing_ set by the caller,
  // `own` its own waiting request (null for record_then). Returns with `lock` released.
  void write_queue(std::unique_lock<std::mutex>& lock, Pending* own);
  void write(std::vector<Pending*>& batch);
  // Gives each request of a written batch its result, but `own`'s.
  static void finish(std::vector<Pending*>& batch, const Pending* own);
  static RecordedCall result_of(Pending& pending);

  // Hands the writing of the queue to the writing thread (started on first need); with the
  // lock held and writing_ set.
  void hand_to_writer();
  void writer_loop();

  CallRecordStore& calls_;
  mutable std::mutex mutex_;
  std::vector<Pending*> queue_;  // waiting for the next batch
  bool writing_ = false;         // a request is writing a batch, or is woken to write the next
  // Records nobody waits for (record_then) are written by a thread of the batcher's own: an
  // io thread writing them ran batch after batch inside its request's handler under a steady
  // load, and its connection's answer (posted to that connection's strand, which the handler
  // held) waited for all of them: a route request's p99 at 330-430 ms against a p50 of 2.8.
  std::thread writer_;
  std::condition_variable writer_wanted_;
  bool writer_due_ = false;  // the writing thread is to write the queue
  bool stopping_ = false;
  Stats stats_;
};

}  // namespace callsight::switching
