#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/metrics.hpp"
#include "core/clock.hpp"
#include "core/mail_outbox.hpp"
#include "mail/smtp_client.hpp"
#include "store/mail_store.hpp"

namespace callsight::mail {

struct MailDispatcherOptions {
  SmtpOptions smtp;
  std::string from;  // --mail-from: the envelope sender and the From header
  // The first retry's delay (kMailBackoff's unless tests shorten it), doubling up to its cap
  // for as long as the mail is younger than its window.
  std::chrono::seconds first_retry_delay = kMailBackoff.first_delay;
  std::chrono::milliseconds idle_wait{500};  // how soon a new mail goes out when idle
};

// Sends the mail outbox through the SMTP relay: one thread claims one due mail at a time
// (leased for the longest an SMTP session may take, so another node never sends it meanwhile
// and a crashed node's claim comes back), sends it on a fresh connection and records the
// outcome. Several nodes may run one each against the same store.
class MailDispatcher {
 public:
  // Counts attempts and their outcomes into `metrics` (docs/notifications.md). A mail that
  // cannot be read, sent or recorded goes to `on_failure` (app/job_rows) and comes back after
  // its lease; the others go on.
  MailDispatcher(MailStore& store, const Clock& clock, MailDispatcherOptions options,
                 MetricsRegistry& metrics, RowFailureHandler on_failure);
  ~MailDispatcher();  // stops and joins; a session in flight ends within its timeout
  MailDispatcher(const MailDispatcher&) = delete;
  MailDispatcher& operator=(const MailDispatcher&) = delete;

  // How long a claim holds: the whole SMTP session's timeout and a margin for recording.
  std::chrono::seconds lease() const;

 private:
  void run();
  void send(const OutboxMail& mail);

  MailStore& store_;
  const Clock& clock_;
  const MailDispatcherOptions options_;
  const RowFailureHandler on_failure_;
  MetricFamily<Counter>& attempts_;
  Counter& dead_;
  Histogram& attempt_seconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace callsight::mail
