#pragma once

#include <algorithm>

namespace callsight {

// How many due rows the next pass of a batch job lists. Such a job takes its due rows oldest
// first, a batch a pass, and a row that fails stays due, to be tried again: rows that keep
// failing would fill every batch and keep the rows behind them waiting for ever. So the rows
// that failed last pass are listed on top of the batch (at most ten batches of them): they are
// still tried each pass, and the batch goes to the rows behind them. The call sweep and the
// recordings' expiry use it. One job's passes run one at a time; not for sharing between threads.
class FailingRowsOnTop {
 public:
  explicit FailingRowsOnTop(int batch) : batch_(batch) {}

  // Rows to list in the next pass: the batch and the rows that failed last pass.
  int limit() const {
    return batch_ + std::min(failed_last_pass_, kMostBatchesOfFailures * batch_);
  }
  // At the end of each pass: how many of its rows failed.
  void pass_done(int failed) { failed_last_pass_ = failed; }

 private:
  // Failing rows listed on top of a batch: past this many batches, rows behind them wait again.
  static constexpr int kMostBatchesOfFailures = 10;
  const int batch_;
  int failed_last_pass_ = 0;
};

}  // namespace callsight
