#include "mail/mail_dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "core/mail_message.hpp"
#include "core/retry_backoff.hpp"
#include "core/time_format.hpp"

namespace callsight::mail {
namespace {

// A claim outlives its session by this much (recording the outcome), so it is not handed to
// another node while this one still works on it.
constexpr std::chrono::seconds kLeaseMargin{5};

}  // namespace

MailDispatcher::MailDispatcher(MailStore& store, const Clock& clock, MailDispatcherOptions options,
                               MetricsRegistry& metrics, RowFailureHandler on_failure)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      on_failure_(std::move(on_failure)),
      attempts_(metrics.counter("callsight_mail_attempts_total",
                                "Attempts this node made to send a notification e-mail through "
                                "the SMTP relay, by result: sent or failed.",
                                {"result"})),
      dead_(metrics
                .counter("callsight_mail_dead_total",
                         "Notification e-mails this node gave up on: refused for good by the "
                         "relay, or still failing at the end of their retry window.")
                .unlabelled()),
      attempt_seconds_(metrics
                           .histogram("callsight_mail_attempt_duration_seconds",
                                      "Time one SMTP session took, connect to QUIT.", {},
                                      latency_buckets())
                           .unlabelled()) {
  thread_ = std::thread([this] { run(); });
}

MailDispatcher::~MailDispatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::chrono::seconds MailDispatcher::lease() const {
  return std::chrono::ceil<std::chrono::seconds>(options_.smtp.total_timeout) + kLeaseMargin;
}

void MailDispatcher::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    std::vector<OutboxMail> mails;
    try {
      // One at a time: the lease covers one session, and mails are few.
      mails = store_.claim_mails(clock_.now(), lease(), 1, on_failure_);
    } catch (const std::exception& e) {
      spdlog::error("mail: claiming mails failed: {}", e.what());
    }
    for (const auto& mail : mails) {
      try {
        send(mail);
      } catch (const std::exception& e) {
        // This mail comes back after its lease; the others go on.
        on_failure_(mail.id, e);
      }
    }
    lock.lock();
    if (mails.empty()) wake_.wait_for(lock, options_.idle_wait, [this] { return stopping_; });
  }
}

void MailDispatcher::send(const OutboxMail& mail) {
  const TimePoint now = clock_.now();
  const RetryBackoff backoff{options_.first_retry_delay, kMailBackoff.max_delay,
                             kMailBackoff.window};
  MailAttempt attempt;
  const auto started = std::chrono::steady_clock::now();
  bool tried = false;
  if (now > mail.created + backoff.window) {
    // Waited out its window without a relay (none configured, or down all along): a
    // missed-call mail that old helps nobody.
    attempt.error = "expired";
  } else {
    tried = true;
    try {
      const std::string message = render_mail(
          {.from = options_.from,
           .to = mail.recipient,
           .subject = mail.subject,
           .body = mail.body,
           .message_id = mail.message_token + "@" + std::string(mail_domain(options_.from)),
           .date = mail.created});
      send_mail(options_.smtp, options_.from, mail.recipient, message);
      attempt.sent = true;
    } catch (const SmtpError& e) {
      attempt.error = e.what();
      if (!e.permanent()) {
        attempt.next_attempt = next_retry(backoff, mail.created, mail.attempts + 1, clock_.now());
      }
    } catch (const std::invalid_argument& e) {
      // A stored address render_mail refuses: no retry makes it valid.
      attempt.error = e.what();
    }
  }
  const auto took = std::chrono::steady_clock::now() - started;
  const auto count_attempt = [&] {
    if (!tried) return;
    attempt_seconds_.observe(std::chrono::duration<double>(took).count());
    attempts_.labels({attempt.sent ? "sent" : "failed"}).inc();
  };
  try {
    store_.record_mail_attempt(mail.id, attempt, clock_.now());
  } catch (const std::exception&) {
    count_attempt();
    throw;  // the lease brings it back: at least once, never lost
  }
  count_attempt();
  if (attempt.sent) {
    spdlog::debug("mail: mail {} ({}) sent", mail.id, to_string(mail.kind));
  } else if (!attempt.next_attempt) {
    dead_.inc();
    spdlog::warn("mail: gave up on mail {} ({}) of partner {} after {} attempts: {}", mail.id,
                 to_string(mail.kind), mail.partner_id, mail.attempts + (tried ? 1 : 0),
                 attempt.error);
  } else {
    spdlog::info("mail: mail {} ({}) not sent, retried at {}: {}", mail.id, to_string(mail.kind),
                 format_utc(*attempt.next_attempt), attempt.error);
  }
}

}  // namespace callsight::mail
