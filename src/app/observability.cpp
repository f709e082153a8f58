#include "app/observability.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/cidr.hpp"
#include "http/ops_endpoints.hpp"
#include "store/mail_store.hpp"
#include "store/webhook_store.hpp"

namespace callsight::app {
namespace {

// Access lines are pure logfmt (no spdlog prefix), on stderr beside the other log lines.
http::RequestObserver::LogSink access_log_sink(bool enabled) {
  if (!enabled) return {};
  auto logger =
      std::make_shared<spdlog::logger>("access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%v");
  return [logger](const std::string& line) { logger->info(line); };
}

// Registers a family of one sample, `read` of `source`'s stats() at each scrape (`source`
// outlives the registry's scrapes).
template <class Source, class Read>
void collect_stat(MetricsRegistry& registry, const Source& source, const char* name,
                  MetricType type, const char* help, Read read) {
  registry.collected(name, help, type, {}, [&source, read] {
    return std::vector<CollectedSample>{{{}, static_cast<double>(read(source.stats()))}};
  });
}

}  // namespace

void add_observability_flags(CLI::App& cli, ObservabilityOptions& options) {
  cli.add_option_function<std::string>(
         "--access-log",
         [&options](const std::string& value) { options.access_log = value == "on"; },
         "one logfmt line per request on stderr: on or off (docs/observability.md)")
      ->check(CLI::IsMember({"on", "off"}))
      ->default_str("on");
  cli.add_option_function<std::vector<std::string>>(
         "--metrics-allow",
         [&options](const std::vector<std::string>& cidrs) {
           options.metrics_allow.clear();
           for (const auto& cidr : cidrs) {
             if (cidr != "none") options.metrics_allow.push_back(cidr);
           }
         },
         "client CIDRs that may read GET /metrics, comma-separated, or 'none'; others get 404")
      ->delimiter(',')
      ->check(CLI::Validator(
          [](std::string& cidr) {
            return cidr == "none" || is_valid_cidr(cidr) ? std::string()
                                                         : "not an address or CIDR: " + cidr;
          },
          "CIDR"))
      ->default_str("127.0.0.1/32,::1/128");
}

Observability::Observability(Store& store, ObservabilityOptions options, TimePoint started)
    : store_(store),
      options_(std::move(options)),
      observer_(registry_, access_log_sink(options_.access_log)) {
  register_store_metrics(started);
}

void Observability::register_store_metrics(TimePoint started) {
  registry_.gauge("callsight_build_info", "Always 1; the labels say which build runs.", {"version"})
      .labels({CALLSIGHT_VERSION})
      .set(1);
  registry_.gauge("process_start_time_seconds", "When the process started, in Unix seconds.")
      .unlabelled()
      .set(static_cast<double>(started.time_since_epoch().count()));
  const auto pool_metric = [this](const char* name, MetricType type, const char* help, auto field) {
    registry_.collected(name, help, type, {}, [this, field] {
      return std::vector<CollectedSample>{{{}, static_cast<double>(field(store_.pool_stats()))}};
    });
  };
  pool_metric("callsight_db_pool_size", MetricType::gauge,
              "Database connections this process may open.",
              [](const DatabasePoolStats& s) { return s.size; });
  pool_metric("callsight_db_pool_open_connections", MetricType::gauge,
              "Database connections open now.", [](const DatabasePoolStats& s) { return s.open; });
  pool_metric("callsight_db_pool_in_use_connections", MetricType::gauge,
              "Database connections held by a transaction now.",
              [](const DatabasePoolStats& s) { return s.in_use; });
  pool_metric("callsight_db_pool_waits_total", MetricType::counter,
              "Transactions that found no free connection and waited for one.",
              [](const DatabasePoolStats& s) { return s.waits; });
  pool_metric("callsight_db_pool_wait_seconds_total", MetricType::counter,
              "Time transactions spent waiting for a free connection.",
              [](const DatabasePoolStats& s) { return s.wait_seconds; });
  pool_metric("callsight_db_pool_timeouts_total", MetricType::counter,
              "Transactions that gave up waiting for a free connection.",
              [](const DatabasePoolStats& s) { return s.timeouts; });
  pool_metric("callsight_db_group_commits_total", MetricType::counter,
              "Durable commits that write transactions shared (group commit).",
              [](const DatabasePoolStats& s) { return s.group_commits; });
  pool_metric("callsight_db_group_committed_transactions_total", MetricType::counter,
              "Write transactions committed through a shared durable commit.",
              [](const DatabasePoolStats& s) { return s.group_committed_transactions; });
  pool_metric("callsight_db_checkpoints_total", MetricType::counter,
              "SQLite checkpoints (the WAL copied into the database file), each run by the "
              "checkpointing thread between two batches of writes. None on PostgreSQL.",
              [](const DatabasePoolStats& s) { return s.checkpoints.background; });
  pool_metric("callsight_db_checkpoint_failures_total", MetricType::counter,
              "SQLite checkpoints that failed (an I/O error; the WAL keeps the data).",
              [](const DatabasePoolStats& s) { return s.checkpoints.failed; });
  registry_.collected(
      "callsight_webhook_outbox_deliveries",
      "Webhook deliveries in the outbox of the whole database (every node reports the same), by "
      "state: pending (to send or retry) and dead (given up).",
      MetricType::gauge, {"state"}, [this] {
        const auto depth = store_.webhooks().outbox_depth();
        return std::vector<CollectedSample>{{{"pending"}, static_cast<double>(depth.pending)},
                                            {{"dead"}, static_cast<double>(depth.dead)}};
      });
  registry_.collected(
      "callsight_mail_outbox_mails",
      "Notification e-mails in the outbox of the whole database (every node reports the same), "
      "by state: pending (to send or retry) and dead (given up).",
      MetricType::gauge, {"state"}, [this] {
        const auto depth = store_.mail().mail_outbox_depth();
        return std::vector<CollectedSample>{{{"pending"}, static_cast<double>(depth.pending)},
                                            {{"dead"}, static_cast<double>(depth.dead)}};
      });
  registry_.collected(
      "callsight_mail_outbox_oldest_pending_seconds",
      "Age of the oldest pending notification e-mail (0 when none waits): a relay that is down "
      "or refuses our login shows here first.",
      MetricType::gauge, {}, [this] {
        const auto depth = store_.mail().mail_outbox_depth();
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        const double age =
            depth.oldest_pending ? std::max<double>(0, (now - *depth.oldest_pending).count()) : 0;
        return std::vector<CollectedSample>{{{}, age}};
      });
}

void Observability::watch_cpu_slots(const CpuSlots& slots) {
  const auto slot_metric = [this, &slots](const char* name, MetricType type, const char* help,
                                          auto read) {
    collect_stat(registry_, slots, name, type, help, read);
  };
  slot_metric("callsight_cpu_slots", MetricType::gauge,
              "Requests whose work may run at once (--cpu-slots: one per core by default).",
              [&slots](const CpuSlots::Stats&) { return slots.size(); });
  slot_metric("callsight_cpu_slot_queued", MetricType::gauge,
              "Requests waiting now for a CPU slot to run in.",
              [](const CpuSlots::Stats& s) { return s.queued; });
  slot_metric("callsight_cpu_slot_waits_total", MetricType::counter,
              "Times request work found every CPU slot busy and waited its turn.",
              [](const CpuSlots::Stats& s) { return s.waits; });
  slot_metric("callsight_cpu_slot_wait_seconds_total", MetricType::counter,
              "Time request work spent waiting for a CPU slot.",
              [](const CpuSlots::Stats& s) { return s.wait_seconds; });
  slot_metric("callsight_cpu_slot_sleeps_total", MetricType::counter,
              "Waits for a CPU slot by a request back from a wait on the database, its thread "
              "asleep meanwhile (the others are queued for a slot's holder to run).",
              [](const CpuSlots::Stats& s) { return s.sleeps; });
  slot_metric("callsight_cpu_slot_overruns_total", MetricType::counter,
              "Waits for a CPU slot that gave up after 50 ms and ran without one (a request "
              "holding a slot for long, or a wait that does not give its slot back).",
              [](const CpuSlots::Stats& s) { return s.overruns; });
}

void Observability::watch_worker_pool(const WorkerPool& pool) {
  collect_stat(registry_, pool, "callsight_waiting_request_threads", MetricType::gauge,
               "Threads for the requests that wait for a write's commit (--waiting-threads).",
               [&pool](const WorkerPool::Stats&) { return pool.size(); });
  collect_stat(registry_, pool, "callsight_waiting_requests_queued", MetricType::gauge,
               "Requests that wait for a write's commit, queued now for one of those threads.",
               [](const WorkerPool::Stats& s) { return s.queued; });
  collect_stat(registry_, pool, "callsight_waiting_requests_busy", MetricType::gauge,
               "Those threads running a request now.",
               [](const WorkerPool::Stats& s) { return s.busy; });
  collect_stat(registry_, pool, "callsight_waiting_requests_total", MetricType::counter,
               "Requests run on those threads.", [](const WorkerPool::Stats& s) { return s.jobs; });
}

http::Handler Observability::serve(http::Handler handler, std::string listener) {
  auto with_ops = http::with_ops_endpoints(std::move(handler),
                                           {.metrics_allow = options_.metrics_allow,
                                            .metrics = [this] { return registry_.render(); },
                                            .unready_reason = [this] { return unready_reason(); }});
  return observer_.wrap(std::move(with_ops), std::move(listener));
}

// Logs when readiness changes, not at every probe: load balancers ask every few seconds.
std::optional<std::string> Observability::unready_reason() {
  const auto health = store_.check_health();
  if (was_ready_.exchange(health.ready) != health.ready) {
    if (health.ready) {
      spdlog::info("ready again: the database answers");
    } else {
      spdlog::warn("not ready: {}", health.detail);
    }
  }
  if (health.ready) return std::nullopt;
  return health.reason;
}

}  // namespace callsight::app
