#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "store/call_record_store.hpp"

namespace callsight::switching {

// Writes the records of calls routed at the same time in one write transaction
// (CallRecordStore::record_calls), so concurrent route requests share one member of the
// store's group commit instead of each opening its own. The request that finds no write under
// way writes every record queued by then, and goes on writing what queued meanwhile, batch
// after batch, until the queue is empty (a request that waits for its own result hands the
// writing over to another such request once its batch is done, if one is queued). Each result
// is given once its batch is durable. When a batch fails, its records are written one by one,
// so one record that cannot be written fails only its own request.
class RecordBatcher {
 public:
  explicit RecordBatcher(CallRecordStore& calls) : calls_(calls) {}
  RecordBatcher(const RecordBatcher&) = delete;
  RecordBatcher& operator=(const RecordBatcher&) = delete;

  // record_calls of this one record, batched with others asked for meanwhile; throws what
  // record_calls threw for it alone.
  RecordedCall record(const CallRecord& record);

  // What record() returns (or throws: then `result` is empty and `error` set).
  using Written = std::function<void(std::optional<RecordedCall> result, std::exception_ptr error)>;
  // record() without waiting: `written` is called once the record's batch is durable (or
  // failed), on the thread that wrote it, which may be this one before this returns. Its
  // exceptions are logged and dropped.
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

  CallRecordStore& calls_;
  mutable std::mutex mutex_;
  std::vector<Pending*> queue_;  // waiting for the next batch
  bool writing_ = false;         // a request is writing a batch, or is woken to write the next
  Stats stats_;
};

}  // namespace callsight::switching
