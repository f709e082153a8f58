#include "app/sweeper.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <string_view>

#include "store/dni_store.hpp"
#include "store/mail_store.hpp"
#include "store/source_store.hpp"
#include "store/webhook_store.hpp"

namespace callsight::app {

Sweeper::Sweeper(Store& store, const Clock& clock, switching::CallSweep& call_sweep,
                 std::chrono::seconds interval, RowFailures row_failures,
                 std::chrono::days outbox_retention)
    : store_(store),
      clock_(clock),
      call_sweep_(call_sweep),
      interval_(interval),
      row_failures_(std::move(row_failures)),
      outbox_retention_(outbox_retention) {
  thread_.start(
      interval_, [this] { sweep(); },
      [](const std::exception& e) { spdlog::error("sweep failed: {}", e.what()); });
}

Sweeper::~Sweeper() { thread_.stop(); }

// The steps fail apart: a database that refuses one does not hold up the other. Failures
// of single sources never reach here (row_failures_.source).
void Sweeper::sweep() {
  try {
    if (const int archived = store_.sources().sweep_sources(row_failures_.source); archived > 0) {
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
  purge_past_retention();
  try {
    call_sweep_.run_once();
  } catch (const std::exception& e) {
    // The listing spans every partner: its error names no call.
    spdlog::error("sweep: listing calls whose end never arrived failed: {}", e.what());
  }
}

void Sweeper::purge_past_retention() {
  const auto now = std::chrono::steady_clock::now();
  const bool hour_passed = !last_purge_ || now - *last_purge_ >= std::chrono::hours(1);
  if (hour_passed) {
    last_purge_ = now;
    purge_expired_visits();
  }
  // An outbox backlog (the first purge after an upgrade) goes a bounded part per sweep, every
  // sweep until it is gone, so the other steps are never held up long.
  if (hour_passed || outbox_backlog_) outbox_backlog_ = !purge_settled_outbox();
}

void Sweeper::purge_expired_visits() {
  try {
    if (const auto purged = store_.dni().purge_expired_visits(row_failures_.visits); purged > 0) {
      spdlog::info("sweep: deleted {} dynamic-number session(s) past their retention", purged);
    }
  } catch (const std::exception& e) {
    spdlog::error("sweep: purging dynamic-number visits failed: {}", e.what());
  }
}

// Events and mails fail apart: a database that refuses one still purges the other. True
// when neither has old rows left for the next call.
bool Sweeper::purge_settled_outbox() {
  if (outbox_retention_.count() <= 0) return true;
  const auto cutoff = clock_.now() - outbox_retention_;
  bool done = true;
  const auto step = [&done](std::string_view what, const std::function<PurgeProgress()>& purge) {
    try {
      const auto progress = purge();
      if (progress.deleted > 0) {
        spdlog::info("sweep: deleted {} settled {} past the outbox retention{}", progress.deleted,
                     what, progress.done ? "" : ", more at the next sweep");
      }
      done = done && progress.done;
    } catch (const std::exception& e) {
      spdlog::error("sweep: deleting settled {} failed: {}", what, e.what());
    }
  };
  step("webhook event(s)",
       [&] { return store_.webhooks().purge_settled_events(cutoff, row_failures_.event); });
  step("mail(s)", [&] { return store_.mail().purge_settled_mail(cutoff, row_failures_.mail); });
  return done;
}

}  // namespace callsight::app
