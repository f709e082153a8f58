#pragma once

#include <chrono>
#include <optional>

#include "common/periodic_thread.hpp"
#include "store/store.hpp"
#include "switch/call_sweep.hpp"

namespace callsight::app {

// The platform's periodic job, one thread for every partner: Store::sweep_sources() so
// released numbers return to the inventory (statuses are right without it; the sweep only
// applies side effects), the replay order of new events, and the calls whose end never
// arrived (CallSweep). A source that fails goes to `on_failure` (app/job_rows) and the sweep
// goes on with the others; each step fails apart from the rest.
class Sweeper {
 public:
  // A partner whose visits could not be purged goes to `on_purge_failure`.
  Sweeper(Store& store, switching::CallSweep& call_sweep, std::chrono::seconds interval,
          RowFailureHandler on_failure, RowFailureHandler on_purge_failure);
  ~Sweeper();  // stops and joins
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

 private:
  void sweep();
  void purge_expired_visits();

  Store& store_;
  switching::CallSweep& call_sweep_;
  const std::chrono::seconds interval_;
  const RowFailureHandler on_failure_;
  const RowFailureHandler on_purge_failure_;
  std::optional<std::chrono::steady_clock::time_point> last_visit_purge_;
  PeriodicThread thread_;  // runs sweep(); the destructor stops it first
};

}  // namespace callsight::app
