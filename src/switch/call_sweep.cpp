#include "switch/call_sweep.hpp"

#include <spdlog/spdlog.h>

#include "store/call_record_store.hpp"

namespace callsight::switching {
CallSweep::CallSweep(CallRouter& router, Store& store, const Clock& clock,
                     std::chrono::seconds max_call_length, MetricsRegistry& metrics,
                     RowFailureHandler on_failure, int batch)
    : router_(router),
      store_(store),
      clock_(clock),
      max_call_length_(max_call_length),
      closed_(metrics
                  .counter("callsight_call_sweep_closed_total",
                           "Calls the sweep closed as unknown: no end arrived within "
                           "--max-call-seconds of their start.")
                  .unlabelled()),
      on_failure_(std::move(on_failure)),
      batch_(batch) {}

int CallSweep::run_once() {
  const auto overdue =
      store_.calls().open_call_ids(clock_.now() - max_call_length_, batch_.limit());
  int closed = 0;
  int failed = 0;
  for (const auto cdr_id : overdue) {
    try {
      if (router_.close_overdue_call(cdr_id, max_call_length_)) ++closed;
    } catch (const std::exception& e) {
      ++failed;
      on_failure_(cdr_id, e);
    }
  }
  batch_.pass_done(failed);
  closed_.inc(static_cast<std::uint64_t>(closed));
  if (closed > 0) spdlog::info("call sweep: closed {} call(s) whose end never arrived", closed);
  return closed;
}

}  // namespace callsight::switching
