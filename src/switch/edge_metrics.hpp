#pragma once

#include <optional>

#include "common/metrics.hpp"
#include "core/clock.hpp"
#include "switch/switch_wire.hpp"

namespace callsight::switching {

// What each edge said of its event spool at its last delivery, in /metrics
// (docs/observability.md, "SIP edges"): how many events wait there, how old the oldest is,
// and what the edge had to give up; and how current its copy of the routes is. A node shows
// the edges that talk to it.
class EdgeMetrics {
 public:
  EdgeMetrics(MetricsRegistry& metrics, const Clock& clock);

  // oldest_event: when the batch's oldest event happened; none for an empty delivery.
  void observe(const EdgeSpoolReport& report, std::optional<TimePoint> oldest_event);
  // The edge holds the routes as this node worked them out at `worked_out_at`.
  void routes_confirmed(std::string_view edge, std::chrono::system_clock::time_point worked_out_at);

 private:
  const Clock& clock_;
  MetricFamily<Gauge>& depth_;
  MetricFamily<Gauge>& lag_;
  MetricFamily<Gauge>& dropped_;
  MetricFamily<Gauge>& lost_;
  MetricFamily<Gauge>& last_delivery_;
  MetricFamily<Gauge>& routes_confirmed_;
};

}  // namespace callsight::switching
