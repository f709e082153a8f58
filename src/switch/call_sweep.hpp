#pragma once

#include <chrono>

#include "common/failing_rows_on_top.hpp"
#include "common/metrics.hpp"
#include "core/clock.hpp"
#include "store/store.hpp"
#include "switch/call_router.hpp"

namespace callsight::switching {

// Ends the calls whose end never arrived (a lost BYE or event, an edge that restarted): once
// a call has been open for max_call_length it is closed with status unknown and a
// call.completed event (docs/kamailio.md, "Call end"). Each call is closed on its own, so a
// call that fails goes to `on_failure` (app/job_rows) while the others are closed. The
// Sweeper runs it beside the source sweep.
class CallSweep {
 public:
  // Calls closed per pass; more wait for the next pass, so one pass never runs long.
  static constexpr int kBatch = 1000;

  CallSweep(CallRouter& router, Store& store, const Clock& clock,
            std::chrono::seconds max_call_length, MetricsRegistry& metrics,
            RowFailureHandler on_failure, int batch = kBatch);

  // One pass: closes the overdue calls it finds (at most a batch); returns how many. Throws
  // only when the overdue calls cannot be listed. The calls that failed in the last pass
  // are tried again, and listed on top of a batch (FailingRowsOnTop): overdue calls come
  // oldest first, so rows that keep failing would otherwise keep the calls behind them open.
  int run_once();

 private:
  CallRouter& router_;
  Store& store_;
  const Clock& clock_;
  const std::chrono::seconds max_call_length_;
  Counter& closed_;
  const RowFailureHandler on_failure_;
  FailingRowsOnTop batch_;
};

}  // namespace callsight::switching
