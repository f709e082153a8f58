#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "core/clock.hpp"
#include "core/webhook.hpp"
#include "store/webhook_store.hpp"

namespace callsight::webhooks {

struct WebhookDispatcherOptions {
  int workers = 4;                             // deliveries in flight at most, per node
  std::chrono::milliseconds timeout{5000};     // per attempt: connect, TLS, send and answer
  std::chrono::seconds first_retry_delay{10};  // doubles per failed attempt, up to an hour
  bool allow_private = false;                  // --webhooks-allow-private
  std::string ca_file;                         // --webhook-ca-file: trusted besides the system's
  std::chrono::milliseconds idle_wait{200};    // how soon a new event goes out when idle
};

// Delivers the webhook outbox: a claimer thread claims due deliveries (leased, so a crashed
// node's claims come back) as workers fall idle, and `workers` threads POST them, each
// keeping its connections to receivers alive between deliveries. The claimer records the
// outcomes the workers hand back, all that finished meanwhile in one transaction (one durable
// commit), before it claims again. Several nodes may run one each against the same store.
class WebhookDispatcher {
 public:
  // Counts attempts and their outcomes into `metrics` (docs/observability.md, "Webhooks"). A
  // delivery that cannot be read, sent or recorded goes to `on_failure` (app/job_rows) and
  // comes back after its lease; the others go on.
  WebhookDispatcher(WebhookStore& store, const Clock& clock, WebhookDispatcherOptions options,
                    MetricsRegistry& metrics, RowFailureHandler on_failure);
  ~WebhookDispatcher();  // stops and joins; an attempt in flight ends within the timeout
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

 private:
  struct Outcome {
    bool delivered = false;
    std::optional<int> status;
    std::string error;
  };
  // An attempt made, waiting to be recorded.
  struct Finished {
    DeliveryJob job;
    Outcome outcome;
    std::chrono::steady_clock::duration took{};
    TimePoint at;
  };
  class Connections;  // a worker's open connections, by receiver

  void claim_loop();
  void work_loop();
  Finished deliver(const DeliveryJob& job, Connections& connections);
  Outcome attempt(const DeliveryJob& job, Connections& connections);
  // Records the attempts in one transaction, or one by one when that fails (a row that
  // cannot be recorded goes to on_failure and comes back after its lease), and counts them.
  void record(std::vector<Finished>& finished);
  void counted(const Finished& finished);
  std::chrono::seconds lease() const;

  WebhookStore& store_;
  const Clock& clock_;
  const WebhookDispatcherOptions options_;
  const RowFailureHandler on_failure_;
  MetricFamily<Counter>& attempts_;
  Counter& dead_letters_;
  Histogram& attempt_seconds_;
  std::mutex mutex_;
  std::condition_variable wake_claimer_;
  std::condition_variable wake_workers_;
  struct Claimed {
    DeliveryJob job;
    std::chrono::steady_clock::time_point at;
  };
  std::deque<Claimed> queue_;       // claimed, waiting for a worker
  std::vector<Finished> finished_;  // attempts made, for the claimer to record
  // Claims this node may still take: the claims it can hold (workers and the claims ahead of
  // them) less those queued or being sent.
  int free_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::thread claimer_;
};

}  // namespace callsight::webhooks
