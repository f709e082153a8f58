#include "app/job_rows.hpp"

#include <spdlog/spdlog.h>

#include "store/failure_kind.hpp"

namespace callsight::app {

JobRowFailures::JobRowFailures(MetricsRegistry& metrics)
    : failures_(metrics.counter("callsight_job_row_failures_total",
                                "Rows a background job failed on and skipped (to retry later), "
                                "by job; the job went on with the other rows.",
                                {"job"})) {}

RowFailureHandler JobRowFailures::handler(std::string job, std::string row_kind) {
  Counter& count = failures_.labels({job});
  return [&count, job = std::move(job), row_kind = std::move(row_kind)](
             Id row_id, const std::exception& error) {
    count.inc();
    spdlog::error("{}: skipped {} {} ({}); the other rows go on", job, row_kind, row_id,
                  failure_kind(error));
  };
}

}  // namespace callsight::app
