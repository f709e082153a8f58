#include "app/sweeper.hpp"

#include <spdlog/spdlog.h>

#include "store/dni_store.hpp"
#include "store/source_store.hpp"
#include "store/webhook_store.hpp"

namespace callsight::app {

Sweeper::Sweeper(Store& store, switching::CallSweep& call_sweep, std::chrono::seconds interval,
                 RowFailureHandler on_failure, RowFailureHandler on_purge_failure)
    : store_(store),
      call_sweep_(call_sweep),
      interval_(interval),
      on_failure_(std::move(on_failure)),
      on_purge_failure_(std::move(on_purge_failure)) {
  thread_.start(
      interval_, [this] { sweep(); },
      [](const std::exception& e) { spdlog::error("sweep failed: {}", e.what()); });
}

Sweeper::~Sweeper() { thread_.stop(); }

// The steps fail apart: a database that refuses one does not hold up the other. Failures
// of single sources never reach here (on_failure_).
void Sweeper::sweep() {
  try {
    if (const int archived = store_.sources().sweep_sources(on_failure_); archived > 0) {
      spdlog::info("sweep: archived {} source(s), their numbers are free again", archived);
    }
  } catch (const std::exception& e) {
    spdlog::error("sweep failed: {}", e.what());
  }
  try {
    // Keeps the events not yet in replay order few, so GET /events has little to do.
    store_.webhooks().sequence_events();
  } catch (const std::exception& e) {
    spdlog::error("sweep: placing events in replay order failed: {}", e.what());
  }
  purge_expired_visits();
  try {
    call_sweep_.run_once();
  } catch (const std::exception& e) {
    // The listing spans every partner: its error names no call.
    spdlog::error("sweep: listing calls whose end never arrived failed: {}", e.what());
  }
}

// Retention is counted in days: once an hour is often enough, and spares the database a scan
// of every partner's sessions each second.
void Sweeper::purge_expired_visits() {
  const auto now = std::chrono::steady_clock::now();
  if (last_visit_purge_ && now - *last_visit_purge_ < std::chrono::hours(1)) return;
  last_visit_purge_ = now;
  try {
    if (const auto purged = store_.dni().purge_expired_visits(on_purge_failure_); purged > 0) {
      spdlog::info("sweep: deleted {} dynamic-number session(s) past their retention", purged);
    }
  } catch (const std::exception& e) {
    spdlog::error("sweep: purging dynamic-number visits failed: {}", e.what());
  }
}

}  // namespace callsight::app
