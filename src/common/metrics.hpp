#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace callsight {

// A monotonically increasing count (requests served, calls routed).
class Counter {
 public:
  void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into buckets with fixed upper bounds (plus +Inf), with their sum.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // ascending, finite

  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (= count)
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  // Per bucket, not cumulative, so observe() touches one of them; the last is +Inf.
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

enum class MetricType { counter, gauge, histogram };

namespace detail {

// Orders label-value lists; transparent, so a lookup needs no std::string copies.
struct LabelValuesLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  // Appends this family in the Prometheus text format.
  virtual void render(std::string& out) const = 0;
  // True for families that read their samples from elsewhere (e.g. the database) at render.
  virtual bool samples_at_render() const { return false; }

 protected:
  void check_arity(std::size_t values) const;
  void render_header(std::string& out) const;
  // name{label="value",...} with `extra` (e.g. le="0.5") appended to the labels.
  void render_series(std::string& out, std::string_view suffix,
                     std::span<const std::string> label_values, std::string_view extra_label,
                     std::string_view extra_value) const;

  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

}  // namespace detail

// One metric name and its series, one per combination of label values. A series is made on
// first use and lives as long as the registry, so callers may keep the reference: with a fixed
// label set the hot path is then one atomic add. A lookup takes a shared lock only.
template <class Metric>
class MetricFamily final : public detail::FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        make_(std::move(make)) {}

  // Label values in the order of the family's label names.
  Metric& labels(std::span<const std::string_view> values) {
    check_arity(values.size());
    {
      std::shared_lock lock(mutex_);
      if (const auto it = series_.find(values); it != series_.end()) return *it->second;
    }
    std::unique_lock lock(mutex_);
    if (const auto it = series_.find(values); it != series_.end()) return *it->second;
    std::vector<std::string> key(values.begin(), values.end());
    return *series_.emplace(std::move(key), make_()).first->second;
  }
  Metric& labels(std::initializer_list<std::string_view> values) {
    return labels(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Metric& unlabelled() { return labels({}); }

  void render(std::string& out) const override;

 private:
  std::function<std::unique_ptr<Metric>()> make_ = [] { return std::make_unique<Metric>(); };
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, detail::LabelValuesLess> series_;
};

template <>
void MetricFamily<Counter>::render(std::string& out) const;
template <>
void MetricFamily<Gauge>::render(std::string& out) const;
template <>
void MetricFamily<Histogram>::render(std::string& out) const;

// A value read when scraped rather than kept (pool in use, outbox depth).
struct CollectedSample {
  std::vector<std::string> label_values;
  double value = 0;
};

// The metrics of one process and their rendering in the Prometheus text exposition format
// 0.0.4. Names follow Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in "_total", label
// names [a-zA-Z_][a-zA-Z0-9_]* and never "le". Registering a name twice is a logic_error.
class MetricsRegistry {
 public:
  MetricFamily<Counter>& counter(std::string name, std::string help,
                                 std::vector<std::string> label_names = {});
  MetricFamily<Gauge>& gauge(std::string name, std::string help,
                             std::vector<std::string> label_names = {});
  MetricFamily<Histogram>& histogram(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> upper_bounds);
  // A counter or gauge family whose samples `collect` gives at each scrape. When collect
  // throws, the family renders without samples and the scrape goes on.
  void collected(std::string name, std::string help, MetricType type,
                 std::vector<std::string> label_names,
                 std::function<std::vector<CollectedSample>()> collect);

  // The counters, gauges and histograms in registration order, then the collected families in
  // registration order; each family's series ordered by label values. Collected last so that a
  // scrape showing a count taken after a change also shows the state that change left.
  std::string render() const;

 private:
  template <class Family, class... Args>
  Family& add(Args&&... args);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<detail::FamilyBase>> families_;
};

// Upper bounds for request latencies in seconds, from 0.5 ms to 10 s.
std::vector<double> latency_buckets();

// Prometheus text escaping: label values escape backslash, double quote and newline; HELP
// text escapes backslash and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
// A sample value as Prometheus writes it: shortest round-trip decimal, "+Inf", "NaN".
std::string format_metric_value(double value);

}  // namespace callsight
