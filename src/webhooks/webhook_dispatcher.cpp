#include "webhooks/webhook_dispatcher.hpp"

#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <stdexcept>

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
constexpr std::size_t kAnswerLimit = 1024 * 1024;

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

WebhookDispatcher::WebhookDispatcher(WebhookStore& store, const Clock& clock,
                                     WebhookDispatcherOptions options, MetricsRegistry& metrics,
                                     RowFailureHandler on_failure)
    : store_(store),
      clock_(clock),
      options_(options),
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
      free_(options.workers) {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work_loop(); });
  claimer_ = std::thread([this] { claim_loop(); });
}

WebhookDispatcher::~WebhookDispatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_claimer_.notify_all();
  wake_workers_.notify_all();
  claimer_.join();
  for (auto& worker : workers_) worker.join();
}

std::chrono::seconds WebhookDispatcher::lease() const {
  return std::chrono::ceil<std::chrono::seconds>(options_.timeout) + kLeaseMargin;
}

void WebhookDispatcher::claim_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_claimer_.wait(lock, [this] { return stopping_ || free_ > 0; });
    if (stopping_) break;
    const int limit = free_;
    lock.unlock();
    std::vector<DeliveryJob> jobs;
    try {
      jobs = store_.claim_deliveries(clock_.now(), lease(), limit, on_failure_);
    } catch (const std::exception& e) {
      spdlog::error("webhooks: claiming deliveries failed: {}", e.what());
    }
    lock.lock();
    free_ -= static_cast<int>(jobs.size());
    for (auto& job : jobs) queue_.push_back(std::move(job));
    wake_workers_.notify_all();
    // Fewer than asked for: nothing more is due now, so look again a little later.
    if (static_cast<int>(jobs.size()) < limit) {
      wake_claimer_.wait_for(lock, options_.idle_wait, [this] { return stopping_; });
    }
  }
}

void WebhookDispatcher::work_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_workers_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    // Claims still queued at shutdown come back to some node when their lease ends.
    if (stopping_) break;
    const DeliveryJob job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      deliver(job);
    } catch (const std::exception& e) {
      // The worker lives on for the other deliveries; this one comes back after its lease.
      on_failure_(job.delivery.id, e);
    }
    lock.lock();
    ++free_;
    wake_claimer_.notify_one();
  }
}

void WebhookDispatcher::deliver(const DeliveryJob& job) {
  const auto started = std::chrono::steady_clock::now();
  const Outcome outcome = attempt(job);
  const auto took = std::chrono::steady_clock::now() - started;
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  const TimePoint now = clock_.now();
  const int attempts = job.delivery.attempts + 1;
  const auto next = outcome.delivered ? std::nullopt
                                      : next_webhook_attempt(job.event.created, attempts, now,
                                                             options_.first_retry_delay);
  // Counted once the attempt is recorded (or failed to be), so that a scrape that sees the
  // count also sees the outbox the attempt left.
  const auto count_attempt = [&] {
    attempt_seconds_.observe(std::chrono::duration<double>(took).count());
    attempts_.labels({outcome.delivered ? "delivered" : "failed"}).inc();
  };
  try {
    store_.record_attempt(job.delivery.id, outcome.delivered, outcome.status,
                          static_cast<int>(latency.count()), outcome.error, next, now);
  } catch (const std::exception& e) {
    count_attempt();
    // The lease brings the delivery back: at least once, never lost.
    on_failure_(job.delivery.id, e);
    return;
  }
  count_attempt();
  if (outcome.delivered) {
    spdlog::debug("webhooks: delivery {} (event {}) delivered in {} ms", job.delivery.id,
                  job.event.id, latency.count());
  } else if (!next) {
    dead_letters_.inc();
    spdlog::warn(
        "webhooks: delivery {} of event {} ({}) to webhook {} of partner {} is dead after {} "
        "attempts; last error: {}",
        job.delivery.id, job.event.id, job.event.type, job.webhook.id, job.webhook.partner_id,
        attempts, outcome.error);
  }
}

WebhookDispatcher::Outcome WebhookDispatcher::attempt(const DeliveryJob& job) {
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
    const auto response = http::fetch(client_options, client_request);
    if (response.status >= 200 && response.status < 300) {
      return {.delivered = true, .status = response.status};
    }
    return {.status = response.status, .error = "HTTP " + std::to_string(response.status)};
  } catch (const std::exception& e) {
    return {.error = short_error(e.what())};
  }
}

}  // namespace callsight::webhooks
