#include "switch/edge_metrics.hpp"

#include <algorithm>
#include <chrono>

namespace callsight::switching {

EdgeMetrics::EdgeMetrics(MetricsRegistry& metrics, const Clock& clock)
    : clock_(clock),
      depth_(metrics.gauge("callsight_edge_spool_depth",
                           "Call events left waiting in the edge's spool behind its last "
                           "delivery.",
                           {"edge"})),
      lag_(metrics.gauge("callsight_edge_spool_lag_seconds",
                         "Age of the oldest event of the edge's last delivery when it arrived; "
                         "0 when the spool was empty.",
                         {"edge"})),
      dropped_(metrics.gauge("callsight_edge_spool_dropped_events",
                             "Events the edge dropped because its spool was full, since the edge "
                             "started (as the edge counts them).",
                             {"edge"})),
      lost_(metrics.gauge("callsight_edge_spool_lost_events",
                          "Spool slots the edge skipped because they were never written (a "
                          "worker died between taking and filling one), since the edge started.",
                          {"edge"})),
      last_delivery_(metrics.gauge("callsight_edge_last_delivery_timestamp_seconds",
                                   "When the edge last delivered its spool (Unix seconds); a "
                                   "stale value is an edge that cannot reach this node.",
                                   {"edge"})),
      routes_confirmed_(metrics.gauge(
          "callsight_edge_routes_confirmed_timestamp_seconds",
          "When this node began reading the routes the edge's copy holds (Unix seconds), as "
          "of the last sync the edge began with that copy; a change made after it may not "
          "have reached the edge.",
          {"edge"})) {}

void EdgeMetrics::observe(const EdgeSpoolReport& report, std::optional<TimePoint> oldest_event) {
  using Seconds = std::chrono::duration<double>;
  const auto now = clock_.now();
  const std::string_view edge = report.edge;
  depth_.labels({edge}).set(static_cast<double>(report.depth));
  lag_.labels({edge}).set(oldest_event ? std::max(0.0, Seconds(now - *oldest_event).count()) : 0);
  dropped_.labels({edge}).set(static_cast<double>(report.dropped));
  lost_.labels({edge}).set(static_cast<double>(report.lost));
  last_delivery_.labels({edge}).set(Seconds(now.time_since_epoch()).count());
}

void EdgeMetrics::routes_confirmed(std::string_view edge,
                                   std::chrono::system_clock::time_point worked_out_at) {
  routes_confirmed_.labels({edge}).set(
      std::chrono::duration<double>(worked_out_at.time_since_epoch()).count());
}

}  // namespace callsight::switching
