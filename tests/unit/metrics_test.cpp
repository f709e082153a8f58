#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace callsight {
namespace {

TEST(Metrics, RendersKnownStateInTheTextExpositionFormat) {
  MetricsRegistry registry;
  auto& requests = registry.counter("app_requests_total", "Requests served.", {"route", "status"});
  auto& temperature = registry.gauge("app_temperature_celsius", "Current\ntemperature \\ now.");
  auto& latency = registry.histogram("app_latency_seconds", "Latency.", {"route"}, {0.1, 0.5, 2.5});
  registry.collected("app_queue_depth", "Queued items.", MetricType::gauge, {"state"}, [] {
    return std::vector<CollectedSample>{{{"pending"}, 3}, {{"dead"}, 0}};
  });
  registry.counter("app_unused_total", "Never incremented.", {"x"});

  requests.labels({"/ping", "200"}).inc(3);
  requests.labels({"/customers/{customer_id}", "404"}).inc();
  temperature.unlabelled().set(-1.5);
  auto& ping = latency.labels({"/ping"});
  ping.observe(0.05);
  ping.observe(0.1);  // "le" is inclusive: counts in the 0.1 bucket
  ping.observe(1);
  ping.observe(30);

  EXPECT_EQ(registry.render(),
            "# HELP app_requests_total Requests served.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{route=\"/customers/{customer_id}\",status=\"404\"} 1\n"
            "app_requests_total{route=\"/ping\",status=\"200\"} 3\n"
            "# HELP app_temperature_celsius Current\\ntemperature \\\\ now.\n"
            "# TYPE app_temperature_celsius gauge\n"
            "app_temperature_celsius -1.5\n"
            "# HELP app_latency_seconds Latency.\n"
            "# TYPE app_latency_seconds histogram\n"
            "app_latency_seconds_bucket{route=\"/ping\",le=\"0.1\"} 2\n"
            "app_latency_seconds_bucket{route=\"/ping\",le=\"0.5\"} 2\n"
            "app_latency_seconds_bucket{route=\"/ping\",le=\"2.5\"} 3\n"
            "app_latency_seconds_bucket{route=\"/ping\",le=\"+Inf\"} 4\n"
            "app_latency_seconds_sum{route=\"/ping\"} 31.15\n"
            "app_latency_seconds_count{route=\"/ping\"} 4\n"
            "# HELP app_unused_total Never incremented.\n"
            "# TYPE app_unused_total counter\n"
            "# HELP app_queue_depth Queued items.\n"
            "# TYPE app_queue_depth gauge\n"
            "app_queue_depth{state=\"pending\"} 3\n"
            "app_queue_depth{state=\"dead\"} 0\n");
}

TEST(Metrics, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  MetricsRegistry registry;
  registry.counter("x_total", "x", {"path"}).labels({"C:\\dir \"quoted\"\nnext"}).inc();
  EXPECT_EQ(registry.render(),
            "# HELP x_total x\n# TYPE x_total counter\n"
            "x_total{path=\"C:\\\\dir \\\"quoted\\\"\\nnext\"} 1\n");
}

TEST(Metrics, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(format_metric_value(3), "3");
  EXPECT_EQ(format_metric_value(0.0025), "0.0025");
  EXPECT_EQ(format_metric_value(1.7e9), "1700000000");
  EXPECT_EQ(format_metric_value(0.0005), "0.0005");
  EXPECT_EQ(format_metric_value(8.6384e-05), "0.000086384");
  EXPECT_EQ(format_metric_value(1e-9), "1e-09");
  EXPECT_EQ(format_metric_value(2.5e20), "2.5e+20");
  EXPECT_EQ(format_metric_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_metric_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_metric_value(0.0 / 0.0), "NaN");
}

TEST(Metrics, FailingCollectorLeavesItsFamilyEmptyAndTheRestRendered) {
  MetricsRegistry registry;
  registry.collected("db_pending", "Pending.", MetricType::gauge, {},
                     []() -> std::vector<CollectedSample> { throw std::runtime_error("db down"); });
  registry.counter("after_total", "After.").unlabelled().inc(2);
  EXPECT_EQ(registry.render(),
            "# HELP after_total After.\n# TYPE after_total counter\nafter_total 2\n"
            "# HELP db_pending Pending.\n# TYPE db_pending gauge\n");
}

// A worker counts an attempt after it records it; a scrape must never show the count
// without the state the attempt left, so counters are read before collectors query.
TEST(Metrics, ACountIsNeverAheadOfTheCollectedStateInOneScrape) {
  MetricsRegistry registry;
  int recorded = 1;
  MetricFamily<Counter>* attempts = nullptr;
  registry.collected("outbox_recorded", "Recorded.", MetricType::gauge, {}, [&] {
    const std::vector<CollectedSample> state{{{}, static_cast<double>(recorded)}};
    ++recorded;  // another attempt recorded and counted just after the state was read
    attempts->unlabelled().inc();
    return state;
  });
  attempts = &registry.counter("attempts_total", "Attempts.");
  attempts->unlabelled().inc();  // the attempt recorded before the scrape
  EXPECT_EQ(registry.render(),
            "# HELP attempts_total Attempts.\n# TYPE attempts_total counter\nattempts_total 1\n"
            "# HELP outbox_recorded Recorded.\n# TYPE outbox_recorded gauge\noutbox_recorded 1\n");
}

TEST(Metrics, RefusesBadNamesWrongArityAndBadBounds) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.counter("requests", "no _total suffix"), std::logic_error);
  EXPECT_THROW(registry.gauge("1abc", "starts with a digit"), std::logic_error);
  EXPECT_THROW(registry.gauge("ok_name", "reserved label", {"le"}), std::logic_error);
  EXPECT_THROW(registry.gauge("ok_name2", "bad label", {"a-b"}), std::logic_error);
  EXPECT_THROW(registry.histogram("h", "unsorted", {}, {1, 0.5}), std::logic_error);
  auto& family = registry.counter("two_total", "two labels", {"a", "b"});
  EXPECT_THROW(family.labels({"only one"}), std::logic_error);
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry registry;
  auto& family = registry.counter("hits_total", "Hits.", {"route"});
  auto& latency = registry.histogram("lat_seconds", "Latency.", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        family.labels({i % 2 ? "/a" : "/b"}).inc();
        latency.unlabelled().observe(0.5);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(family.labels({"/a"}).value() + family.labels({"/b"}).value(), 40000u);
  EXPECT_EQ(latency.unlabelled().snapshot().cumulative.back(), 40000u);
}

}  // namespace
}  // namespace callsight
