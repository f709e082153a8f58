#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "common/cpu_slots.hpp"
#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "core/clock.hpp"
#include "http/request_observer.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace callsight::app {

struct ObservabilityOptions {
  bool access_log = true;
  std::vector<std::string> metrics_allow = {"127.0.0.1/32", "::1/128"};
};

// --access-log on|off and --metrics-allow CIDRS|none.
void add_observability_flags(CLI::App& cli, ObservabilityOptions& options);

// The process's metrics, access log and health endpoints (docs/observability.md): wraps each
// listener's handler, and reports what the store knows (connection pool, webhook outbox,
// readiness). Declare it after the store and before the listeners, so it outlives them.
class Observability {
 public:
  Observability(Store& store, ObservabilityOptions options, TimePoint started);
  Observability(const Observability&) = delete;
  Observability& operator=(const Observability&) = delete;

  MetricsRegistry& metrics() { return registry_; }

  // `handler` with /healthz, /readyz and /metrics in front of it, and every request counted
  // and logged under `listener`.
  http::Handler serve(http::Handler handler, std::string listener);
  // Reports how the listeners' request work shares the cores; `slots` outlives this.
  void watch_cpu_slots(const CpuSlots& slots);
  // Its depth and work in /metrics, while it lives.
  void watch_worker_pool(const WorkerPool& pool);

 private:
  void register_store_metrics(TimePoint started);
  std::optional<std::string> unready_reason();

  Store& store_;
  const ObservabilityOptions options_;
  MetricsRegistry registry_;
  http::RequestObserver observer_;
  std::atomic<bool> was_ready_{true};
};

}  // namespace callsight::app
