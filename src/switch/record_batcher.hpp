#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include "store/call_record_store.hpp"

namespace callsight::switching {

// Writes the records of calls routed at the same time in one write transaction
// (CallRecordStore::record_calls), so concurrent route requests share one member of the
// store's group commit instead of each opening its own: the first request to find no write
// under way writes every record queued by then, the others wait for its commit. Each result
// is returned once its batch is durable. When a batch fails, its records are written one
// by one, so one record that cannot be written fails only its own request.
class RecordBatcher {
 public:
  explicit RecordBatcher(CallRecordStore& calls) : calls_(calls) {}
  RecordBatcher(const RecordBatcher&) = delete;
  RecordBatcher& operator=(const RecordBatcher&) = delete;

  // record_calls of this one record, batched with others asked for meanwhile; throws what
  // record_calls threw for it alone.
  RecordedCall record(const CallRecord& record);

  struct Stats {
    std::size_t batches = 0;  // write transactions
    std::size_t records = 0;  // records written through them
    std::size_t queued = 0;   // requests waiting for the next batch now
  };
  Stats stats() const;

 private:
  struct Pending;
  void write(std::vector<Pending*>& batch);

  CallRecordStore& calls_;
  mutable std::mutex mutex_;
  std::condition_variable written_;
  std::vector<Pending*> queue_;  // waiting for the next batch
  bool writing_ = false;         // a request is writing a batch
  Stats stats_;
};

}  // namespace callsight::switching
