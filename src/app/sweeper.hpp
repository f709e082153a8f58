#pragma once

#include <chrono>
#include <optional>

#include "common/periodic_thread.hpp"
#include "core/clock.hpp"
#include "store/store.hpp"
#include "switch/call_sweep.hpp"

namespace callsight::app {

// The platform's periodic job, one thread for every partner: Store::sweep_sources() so
// released numbers return to the inventory (statuses are right without it; the sweep only
// applies side effects), the replay order of new events, the calls whose end never arrived
// (CallSweep), and, hourly, the visits and the settled outbox rows past their retention. A row
// that fails goes to its handler in `row_failures` (app/job_rows) and the sweep goes on with the
// others; each step fails apart from the rest.
class Sweeper {
 public:
  // Where each step's failing rows go (app/job_rows).
  struct RowFailures {
    RowFailureHandler source;  // a source whose status change could not be applied
    RowFailureHandler visits;  // a partner whose visits could not be purged
    RowFailureHandler event;   // a webhook event that could not be deleted
    RowFailureHandler mail;    // a mail that could not be deleted
  };
  // Settled webhook events (with their deliveries) and mails are deleted `outbox_retention`
  // after they were made; zero keeps them.
  Sweeper(Store& store, const Clock& clock, switching::CallSweep& call_sweep,
          std::chrono::seconds interval, RowFailures row_failures,
          std::chrono::days outbox_retention);
  ~Sweeper();  // stops and joins
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

 private:
  void sweep();
  // The retention steps, once an hour: retention is counted in days, and an hourly run spares
  // the database a scan per sweep. An outbox backlog goes on at every sweep until it is gone.
  void purge_past_retention();
  void purge_expired_visits();
  bool purge_settled_outbox();  // true: nothing old is left

  Store& store_;
  const Clock& clock_;
  switching::CallSweep& call_sweep_;
  const std::chrono::seconds interval_;
  const RowFailures row_failures_;
  const std::chrono::days outbox_retention_;
  std::optional<std::chrono::steady_clock::time_point> last_purge_;
  bool outbox_backlog_ = false;  // the last outbox purge left old rows for the next sweep
  PeriodicThread thread_;        // runs sweep(); the destructor stops it first
};

}  // namespace callsight::app
