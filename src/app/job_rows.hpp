#pragma once

#include <string>

#include "common/metrics.hpp"
#include "store/store.hpp"

namespace callsight::app {

// The rows platform jobs (the sweep, webhook delivery) could not process and skipped, so one
// bad row never stops a job for everyone else (docs/observability.md, "Background jobs").
class JobRowFailures {
 public:
  // Registers callsight_job_row_failures_total{job}.
  explicit JobRowFailures(MetricsRegistry& metrics);

  // What `job` calls for each failed row: logs the job, the row (`row_kind` and its id) and
  // the kind of error, never a stored value, and counts it under job="<job>".
  RowFailureHandler handler(std::string job, std::string row_kind);

 private:
  MetricFamily<Counter>& failures_;
};

}  // namespace callsight::app
