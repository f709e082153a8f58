#include "common/metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace callsight {
namespace {

bool is_name_char(char c, bool first, bool colon_allowed) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  const bool digit = c >= '0' && c <= '9';
  return letter || (colon_allowed && c == ':') || (!first && digit);
}

bool is_valid_name(std::string_view name, bool colon_allowed) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_name_char(name[i], i == 0, colon_allowed)) return false;
  }
  return true;
}

std::string escaped(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\' || (quotes && c == '"')) {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      break;
  }
  return "histogram";
}

void append_value(std::string& out, double value) {
  out += ' ';
  out += format_metric_value(value);
  out += '\n';
}

void append_count(std::string& out, std::uint64_t value) {
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

// The family behind MetricsRegistry::collected.
class CollectedFamily final : public detail::FamilyBase {
 public:
  CollectedFamily(std::string name, std::string help, MetricType type,
                  std::vector<std::string> label_names,
                  std::function<std::vector<CollectedSample>()> collect)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        collect_(std::move(collect)) {}

  bool samples_at_render() const override { return true; }

  void render(std::string& out) const override {
    render_header(out);
    std::vector<CollectedSample> samples;
    try {
      samples = collect_();
    } catch (const std::exception&) {
      return;  // e.g. the database is down: /readyz says so, the other metrics still count
    }
    for (const auto& sample : samples) {
      check_arity(sample.label_values.size());
      render_series(out, "", sample.label_values, "", "");
      append_value(out, sample.value);
    }
  }

 private:
  std::function<std::vector<CollectedSample>()> collect_;
};

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end() ||
      std::any_of(bounds_.begin(), bounds_.end(), [](double b) { return !std::isfinite(b); })) {
    throw std::logic_error("histogram bounds must be finite and strictly ascending");
  }
}

void Histogram::observe(double value) {
  // Bucket i counts values in (bound[i-1], bound[i]]: "le" is inclusive.
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  out.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.cumulative.push_back(running);
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

namespace detail {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {
  if (!is_valid_name(name_, /*colon_allowed=*/true)) {
    throw std::logic_error("invalid metric name: " + name_);
  }
  if (type_ == MetricType::counter && !name_.ends_with("_total")) {
    throw std::logic_error("a counter's name ends in _total: " + name_);
  }
  for (const auto& label : label_names_) {
    if (!is_valid_name(label, /*colon_allowed=*/false) || label.starts_with("__") ||
        label == "le") {
      throw std::logic_error("invalid label name " + label + " on " + name_);
    }
  }
}

void FamilyBase::check_arity(std::size_t values) const {
  if (values != label_names_.size()) {
    throw std::logic_error(name_ + " takes " + std::to_string(label_names_.size()) +
                           " label values, not " + std::to_string(values));
  }
}

void FamilyBase::render_header(std::string& out) const {
  out += "# HELP " + name_ + ' ' + escape_help(help_) + '\n';
  out += "# TYPE " + name_ + ' ' + std::string(type_name(type_)) + '\n';
}

void FamilyBase::render_series(std::string& out, std::string_view suffix,
                               std::span<const std::string> label_values,
                               std::string_view extra_label, std::string_view extra_value) const {
  out += name_;
  out += suffix;
  if (label_values.empty() && extra_label.empty()) return;
  out += '{';
  auto add = [&out, first = true](std::string_view name, std::string_view value) mutable {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  };
  for (std::size_t i = 0; i < label_values.size(); ++i) add(label_names_[i], label_values[i]);
  if (!extra_label.empty()) add(extra_label, extra_value);
  out += '}';
}

}  // namespace detail

template <>
void MetricFamily<Counter>::render(std::string& out) const {
  render_header(out);
  std::shared_lock lock(mutex_);
  for (const auto& [labels, counter] : series_) {
    render_series(out, "", labels, "", "");
    append_count(out, counter->value());
  }
}

template <>
void MetricFamily<Gauge>::render(std::string& out) const {
  render_header(out);
  std::shared_lock lock(mutex_);
  for (const auto& [labels, gauge] : series_) {
    render_series(out, "", labels, "", "");
    append_value(out, gauge->value());
  }
}

template <>
void MetricFamily<Histogram>::render(std::string& out) const {
  render_header(out);
  std::shared_lock lock(mutex_);
  for (const auto& [labels, histogram] : series_) {
    const auto snapshot = histogram->snapshot();
    const auto& bounds = histogram->upper_bounds();
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      render_series(out, "_bucket", labels, "le", format_metric_value(bounds[i]));
      append_count(out, snapshot.cumulative[i]);
    }
    render_series(out, "_bucket", labels, "le", "+Inf");
    append_count(out, snapshot.cumulative.back());
    render_series(out, "_sum", labels, "", "");
    append_value(out, snapshot.sum);
    // From the buckets, so _count always equals the +Inf bucket even mid-observation.
    render_series(out, "_count", labels, "", "");
    append_count(out, snapshot.cumulative.back());
  }
}

template <class Family, class... Args>
Family& MetricsRegistry::add(Args&&... args) {
  auto family = std::make_unique<Family>(std::forward<Args>(args)...);
  auto& ref = *family;
  std::lock_guard lock(mutex_);
  families_.push_back(std::move(family));
  return ref;
}

MetricFamily<Counter>& MetricsRegistry::counter(std::string name, std::string help,
                                                std::vector<std::string> label_names) {
  return add<MetricFamily<Counter>>(std::move(name), std::move(help), MetricType::counter,
                                    std::move(label_names));
}

MetricFamily<Gauge>& MetricsRegistry::gauge(std::string name, std::string help,
                                            std::vector<std::string> label_names) {
  return add<MetricFamily<Gauge>>(std::move(name), std::move(help), MetricType::gauge,
                                  std::move(label_names));
}

MetricFamily<Histogram>& MetricsRegistry::histogram(std::string name, std::string help,
                                                    std::vector<std::string> label_names,
                                                    std::vector<double> upper_bounds) {
  Histogram{upper_bounds};  // rejects bad bounds now rather than at the first observation
  auto make = [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); };
  return add<MetricFamily<Histogram>>(std::move(name), std::move(help), MetricType::histogram,
                                      std::move(label_names),
                                      std::function<std::unique_ptr<Histogram>()>(make));
}

void MetricsRegistry::collected(std::string name, std::string help, MetricType type,
                                std::vector<std::string> label_names,
                                std::function<std::vector<CollectedSample>()> collect) {
  if (type == MetricType::histogram) throw std::logic_error("collected histograms: unsupported");
  add<CollectedFamily>(std::move(name), std::move(help), type, std::move(label_names),
                       std::move(collect));
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const bool collected : {false, true}) {
    for (const auto& family : families_) {
      if (family->samples_at_render() == collected) family->render(out);
    }
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string escape_label_value(std::string_view value) { return escaped(value, true); }

std::string escape_help(std::string_view help) { return escaped(help, false); }

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // The shortest digits that read back exactly, in plain decimal ("0.0005", "1700000000") as
  // Prometheus itself writes bucket bounds; exponents only for the very small and very large.
  std::array<char, 64> text{};
  const double magnitude = std::fabs(value);
  const bool plain = value == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
  const auto result =
      std::to_chars(text.data(), text.data() + text.size(), value,
                    plain ? std::chars_format::fixed : std::chars_format::scientific);
  return std::string(text.data(), result.ptr);
}

}  // namespace callsight
