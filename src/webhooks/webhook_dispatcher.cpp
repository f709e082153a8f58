#include "webhooks/webhook_dispatcher.hpp"

#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <list>
#include <memory>
#include <stdexcept>
#include <utility>

#include "common/base64.hpp"
#include "core/webhook_target.hpp"
#include "http/client.hpp"
#include "webhooks/webhook_request.hpp"

namespace callsight::webhooks {
namespace {

// A claim outlives its attempt by this much (name resolution, recording), so it is not
// handed to another sender while this one still works on it.
constexpr std::chrono::seconds kLeaseMargin{5};
// Receivers' answers are read only for their status; a larger one is a failed attempt.
constexpr std::size_t kAnswerLimit = std::size_t{1024} * 1024;
// Claims a node holds ahead of its sending workers, per worker: the next claims are ready
// when a worker finishes, and one store round trip claims several.
constexpr int kClaimsAheadPerWorker = 3;
// A claim not sent within this long after it was claimed is left for its lease to end,
// so that its attempt (at most the timeout) cannot outlast the lease.
constexpr std::chrono::seconds kQueuedAtMost{2};
// Receivers a worker keeps a connection open to; the least recently used one goes first.
constexpr std::size_t kOpenConnections = 16;

// Every address the host name resolves to, numeric; throws with the resolver's reason.
std::vector<std::string> resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    throw std::runtime_error(std::string("cannot resolve host: ") + ::gai_strerror(rc));
  }
  std::vector<std::string> out;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    std::array<char, NI_MAXHOST> text{};
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, text.data(), text.size(), nullptr, 0,
                      NI_NUMERICHOST) == 0) {
      out.emplace_back(text.data());
    }
  }
  ::freeaddrinfo(found);
  if (out.empty()) throw std::runtime_error("cannot resolve host: no address");
  return out;
}

bool is_private_target(const WebhookTarget& target, const std::vector<std::string>& addresses) {
  return is_local_host_name(target.host) ||
         std::any_of(addresses.begin(), addresses.end(),
                     [](const std::string& a) { return is_private_address(a); });
}

// The client's messages name the host and port; the delivery log needs the reason only.
std::string short_error(const std::string& message) {
  if (message.find("timed out") != std::string::npos) return "timeout";
  const auto reason = message.rfind(": ");
  return reason == std::string::npos ? message : message.substr(reason + 2);
}

}  // namespace

// A worker's keep-alive connections, one per receiver (host, port, scheme and the address
// vetted for this attempt: a receiver whose name now resolves elsewhere gets a new one).
// Sending each delivery on a fresh connection cost a connect (and for https a handshake and
// loading the trusted CAs) per event.
class WebhookDispatcher::Connections {
 public:
  http::Client& to(const http::ClientOptions& options) {
    const std::string key = (options.tls ? "s " : "p ") + options.host + " " +
                            std::to_string(options.port) + " " + options.connect_address;
    const auto found = std::find_if(open_.begin(), open_.end(),
                                    [&](const auto& entry) { return entry.first == key; });
    if (found != open_.end()) {
      open_.splice(open_.begin(), open_, found);
    } else {
      open_.emplace_front(key, std::make_unique<http::Client>(options));
      if (open_.size() > kOpenConnections) open_.pop_back();
    }
    return *open_.front().second;
  }

 private:
  std::list<std::pair<std::string, std::unique_ptr<http::Client>>> open_;  // most recent first
};

WebhookDispatcher::WebhookDispatcher(WebhookStore& store, const Clock& clock,
                                     WebhookDispatcherOptions options, MetricsRegistry& metrics,
                                     RowFailureHandler on_failure)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      on_failure_(std::move(on_failure)),
      attempts_(metrics.counter("callsight_webhook_attempts_total",
                                "Webhook delivery attempts this node made, by result: delivered "
                                "(2xx) or failed.",
                                {"result"})),
      dead_letters_(metrics
                        .counter("callsight_webhook_dead_letters_total",
                                 "Webhook deliveries this node gave up on after their last retry.")
                        .unlabelled()),
      attempt_seconds_(metrics
                           .histogram("callsight_webhook_attempt_duration_seconds",
                                      "Time one delivery attempt took, connect to answer.", {},
                                      latency_buckets())
                           .unlabelled()),
      free_(options.workers * (1 + kClaimsAheadPerWorker)) {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work_loop(); });
  claimer_ = std::thread([this] { claim_loop(); });
}

WebhookDispatcher::~WebhookDispatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_workers_.notify_all();
  for (auto& worker : workers_) worker.join();
  wake_claimer_.notify_all();
  claimer_.join();
  // Attempts made are recorded before the node stops, so they are not sent again.
  record(finished_);
}

std::chrono::seconds WebhookDispatcher::lease() const {
  return std::chrono::ceil<std::chrono::seconds>(options_.timeout) + kLeaseMargin;
}

void WebhookDispatcher::claim_loop() {
  std::unique_lock lock(mutex_);
  // When the last claim found fewer due deliveries than it asked for, the next waits until
  // then (outcomes are recorded meanwhile all the same).
  auto next_claim = std::chrono::steady_clock::now();
  const auto can_claim = [&] {
    return free_ > 0 && std::chrono::steady_clock::now() >= next_claim;
  };
  // A round trip to the store once the workers have taken every claim (they are still
  // sending: the next claims are ready when they finish), or when many outcomes wait: under
  // load each round trip records and claims many deliveries, not one.
  const auto ready = [&] {
    return stopping_ || static_cast<int>(finished_.size()) >= options_.workers ||
           (queue_.empty() && (!finished_.empty() || can_claim()));
  };
  while (true) {
    if (free_ > 0 && queue_.empty()) {
      wake_claimer_.wait_until(lock, next_claim, ready);
    } else {
      wake_claimer_.wait(lock, ready);
    }
    if (stopping_) break;  // the destructor records what finished_ holds
    std::vector<Finished> finished;
    finished.swap(finished_);
    const bool claim = queue_.empty() && can_claim();
    const int limit = claim ? free_ : 0;
    lock.unlock();
    record(finished);
    std::vector<DeliveryJob> jobs;
    if (claim) {
      try {
        jobs = store_.claim_deliveries(clock_.now(), lease(), limit, on_failure_);
      } catch (const std::exception& e) {
        spdlog::error("webhooks: claiming deliveries failed: {}", e.what());
      }
    }
    const auto claimed_at = std::chrono::steady_clock::now();
    lock.lock();
    free_ -= static_cast<int>(jobs.size());
    for (auto& job : jobs) queue_.push_back({std::move(job), claimed_at});
    if (!jobs.empty()) wake_workers_.notify_all();
    // Fewer than asked for: nothing more is due now, so look again a little later.
    if (claim && static_cast<int>(jobs.size()) < limit) {
      next_claim = std::chrono::steady_clock::now() + options_.idle_wait;
    }
  }
}

void WebhookDispatcher::work_loop() {
  Connections connections;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_workers_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    // Claims still queued at shutdown come back to some node when their lease ends.
    if (stopping_) break;
    const Claimed claimed = std::move(queue_.front());
    queue_.pop_front();
    // The last claim taken: the claimer fetches the next ones while this worker sends.
    if (queue_.empty()) wake_claimer_.notify_one();
    lock.unlock();
    std::optional<Finished> finished;
    const auto& job = claimed.job;
    if (std::chrono::steady_clock::now() - claimed.at > kQueuedAtMost) {
      // Behind slow receivers: sent now, it might outlive its lease and be sent twice.
      spdlog::info(
          "webhooks: delivery {} waited too long to be sent; it comes back after "
          "its lease",
          job.delivery.id);
    } else {
      try {
        finished = deliver(job, connections);
      } catch (const std::exception& e) {
        // The worker lives on for the other deliveries; this one comes back after its lease.
        on_failure_(job.delivery.id, e);
      }
    }
    lock.lock();
    ++free_;
    if (finished) finished_.push_back(std::move(*finished));
    wake_claimer_.notify_one();
  }
}

WebhookDispatcher::Finished WebhookDispatcher::deliver(const DeliveryJob& job,
                                                       Connections& connections) {
  const auto started = std::chrono::steady_clock::now();
  Outcome outcome = attempt(job, connections);
  const auto took = std::chrono::steady_clock::now() - started;
  return {.job = job, .outcome = std::move(outcome), .took = took, .at = clock_.now()};
}

void WebhookDispatcher::record(std::vector<Finished>& finished) {
  if (finished.empty()) return;
  std::vector<AttemptOutcome> outcomes;
  outcomes.reserve(finished.size());
  for (const auto& f : finished) {
    const int attempts = f.job.delivery.attempts + 1;
    const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(f.took);
    outcomes.push_back(
        {.delivery_id = f.job.delivery.id,
         .webhook_id = f.job.webhook.id,
         .delivered = f.outcome.delivered,
         .status = f.outcome.status,
         .latency_ms = static_cast<int>(latency.count()),
         .error = f.outcome.error,
         .next_attempt = f.outcome.delivered
                             ? std::nullopt
                             : next_webhook_attempt(f.job.event.created, attempts, f.at,
                                                    options_.first_retry_delay)});
  }
  // The attempt's own time marks a delivery; one batch's attempts end within moments.
  const TimePoint now = finished.back().at;
  bool recorded = false;
  try {
    store_.record_attempts(outcomes, now);
    recorded = true;
  } catch (const std::exception& e) {
    // Nothing of the batch was recorded: each on its own now, so one row that cannot be
    // recorded holds up none of the others.
    if (outcomes.size() == 1) {
      counted(finished.front());
      on_failure_(outcomes.front().delivery_id, e);
      return;
    }
  }
  for (std::size_t i = 0; i < finished.size(); ++i) {
    if (!recorded) {
      try {
        store_.record_attempts(std::span(&outcomes[i], 1), finished[i].at);
      } catch (const std::exception& e) {
        counted(finished[i]);
        // The lease brings the delivery back: at least once, never lost.
        on_failure_(outcomes[i].delivery_id, e);
        continue;
      }
    }
    counted(finished[i]);
    const auto& f = finished[i];
    if (f.outcome.delivered) {
      spdlog::debug("webhooks: delivery {} (event {}) delivered in {} ms", f.job.delivery.id,
                    f.job.event.id, outcomes[i].latency_ms.value_or(0));
    } else if (!outcomes[i].next_attempt) {
      dead_letters_.inc();
      spdlog::warn(
          "webhooks: delivery {} of event {} ({}) to webhook {} of partner {} is dead after {} "
          "attempts; last error: {}",
          f.job.delivery.id, f.job.event.id, f.job.event.type, f.job.webhook.id,
          f.job.webhook.partner_id, f.job.delivery.attempts + 1, f.outcome.error);
    }
  }
}

// Counted once the attempt is recorded (or failed to be), so that a scrape that sees the
// count also sees the outbox the attempt left.
void WebhookDispatcher::counted(const Finished& finished) {
  attempt_seconds_.observe(std::chrono::duration<double>(finished.took).count());
  attempts_.labels({finished.outcome.delivered ? "delivered" : "failed"}).inc();
}

WebhookDispatcher::Outcome WebhookDispatcher::attempt(const DeliveryJob& job,
                                                      Connections& connections) {
  const auto target = parse_webhook_url(job.webhook.url);
  if (!target) return {.error = "invalid_url"};
  try {
    std::vector<std::string> addresses;
    try {
      addresses = resolve(target->host);
    } catch (const std::runtime_error& e) {
      return {.error = e.what()};
    }
    if (!options_.allow_private && is_private_target(*target, addresses)) {
      return {.error = "private_address"};
    }
    const WebhookRequest request = build_webhook_request(job.webhook, job.event, clock_.now());
    http::ClientRequest client_request{
        .method = "POST", .target = target->path, .headers = request.headers, .body = request.body};
    client_request.headers.emplace_back("Content-Type", request.content_type);
    if (!target->userinfo.empty()) {
      client_request.headers.emplace_back("Authorization",
                                          "Basic " + encode_base64(target->userinfo));
    }
    // Connect to the address just vetted: a second lookup could answer differently.
    const http::ClientOptions client_options{.host = target->host,
                                             .port = target->port,
                                             .tls = target->tls,
                                             .ca_file = options_.ca_file,
                                             .connect_address = addresses.front(),
                                             .timeout = options_.timeout,
                                             .body_limit = kAnswerLimit};
    const auto response = connections.to(client_options).send(client_request);
    if (response.status >= 200 && response.status < 300) {
      return {.delivered = true, .status = response.status};
    }
    return {.status = response.status, .error = "HTTP " + std::to_string(response.status)};
  } catch (const std::exception& e) {
    return {.error = short_error(e.what())};
  }
}

}  // namespace callsight::webhooks
