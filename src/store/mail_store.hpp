#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/mail_outbox.hpp"
#include "store/store.hpp"

namespace callsight {

// Mails waiting in the outbox, across partners (GET /metrics).
struct MailOutboxDepth {
  std::int64_t pending = 0;                 // to be sent or retried
  std::int64_t dead = 0;                    // given up on
  std::optional<TimePoint> oldest_pending;  // when the oldest pending mail was made
};

// How one attempt to send a mail ended, as the dispatcher records it.
struct MailAttempt {
  bool sent = false;
  std::string error;                      // a reason without personal data; empty when sent
  std::optional<TimePoint> next_attempt;  // when not sent: the retry, or none (dead)
};

// The e-mail part of the Store (see store.hpp). The mails a call causes are written by the
// call-record store in the transaction that ends the call (docs/notifications.md); this is
// the dispatcher's side, across partners, and the voicemail mail's entry.
class MailStore {
 public:
  virtual ~MailStore() = default;

  // Claims up to `limit` pending mails due at `now`, oldest first, moving each one's
  // next_attempt to now + lease so no other node (or thread) sends it meanwhile; a claim
  // whose sender dies is retried after the lease. A mail whose row cannot be read is claimed
  // too, so it waits out the lease instead of blocking the head of the queue, and handed to
  // `on_failure` rather than returned (without a handler its error is thrown).
  virtual std::vector<OutboxMail> claim_mails(TimePoint now, std::chrono::seconds lease, int limit,
                                              const RowFailureHandler& on_failure = {}) = 0;
  // Records an attempt of a claimed mail: sent (sent_at = now), pending again at
  // next_attempt, or dead; a sent or dead mail's body is emptied. A mail no longer pending
  // (another node recorded it, or its caller was erased) is left as it is.
  virtual void record_mail_attempt(Id mail_id, const MailAttempt& attempt, TimePoint now) = 0;
  virtual MailOutboxDepth mail_outbox_depth() = 0;

  // Queues the new-voicemail mail of a call, once: for the media layer when a call's
  // voicemail message is stored, with the link where it can be heard. False when no mail is
  // due (notify_on_new_voicemail off, no address) or one was queued already. NotFoundError
  // when no call has that id.
  virtual bool queue_voicemail_mail(Id cdr_id, std::string_view message_link) = 0;

  // For the sweeper: deletes the sent and dead mails created before `cutoff`, oldest first,
  // as purge_settled_events does the events. Pending mails are kept. A mail that cannot be
  // deleted goes to `on_failure` (its id) and stays (without a handler its error is thrown).
  virtual PurgeProgress purge_settled_mail(TimePoint cutoff,
                                           const RowFailureHandler& on_failure = {},
                                           int max_batches = 20) = 0;

  // The mails of a call, oldest first (operators and tests).
  virtual std::vector<OutboxMail> mails_of_call(Id cdr_id) = 0;
};

}  // namespace callsight
