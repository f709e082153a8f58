#include "app/call_sweep.hpp"

#include <spdlog/spdlog.h>

#include "store/call_record_store.hpp"

namespace callsight::app {
namespace {

// Calls closed per pass; more wait for the next pass, so one pass never runs long.
constexpr int kBatch = 1000;

}  // namespace

CallSweep::CallSweep(switching::CallRouter& router, Store& store, const Clock& clock,
                     std::chrono::seconds max_call_length, MetricsRegistry& metrics)
    : router_(router),
      store_(store),
      clock_(clock),
      max_call_length_(max_call_length),
      closed_(metrics
                  .counter("callsight_call_sweep_closed_total",
                           "Calls the sweep closed as unknown: no end arrived within "
                           "--max-call-seconds of their start.")
                  .unlabelled()),
      failures_(metrics
                    .counter("callsight_call_sweep_failures_total",
                             "Calls the sweep failed to close (logged with their cdr id, "
                             "skipped, tried again next pass).")
                    .unlabelled()) {}

int CallSweep::run_once() {
  std::vector<Id> overdue;
  try {
    overdue = store_.calls().open_call_ids(clock_.now() - max_call_length_, kBatch);
  } catch (const std::exception& e) {
    // Nothing about a call in it: the listing spans every partner.
    spdlog::error("call sweep: listing open calls failed: {}", e.what());
    failures_.inc();
    return 0;
  }
  int closed = 0;
  for (const auto cdr_id : overdue) {
    try {
      if (router_.close_overdue_call(cdr_id, max_call_length_)) ++closed;
    } catch (const std::exception&) {
      // The message may quote the row (a caller id): the cdr id is enough to find it.
      spdlog::error("call sweep: closing cdr {} failed; skipped", cdr_id);
      failures_.inc();
    }
  }
  closed_.inc(static_cast<std::uint64_t>(closed));
  if (closed > 0) spdlog::info("call sweep: closed {} call(s) whose end never arrived", closed);
  return closed;
}

CallSweeper::CallSweeper(CallSweep& sweep, std::chrono::seconds interval)
    : sweep_(sweep), interval_(interval), thread_([this] { loop(); }) {}

CallSweeper::~CallSweeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CallSweeper::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    sweep_.run_once();  // never throws: every failure is handled per row
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace callsight::app
