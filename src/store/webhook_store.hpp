#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/webhook.hpp"
#include "store/store.hpp"

namespace callsight {

struct DeliveryFilter {
  std::optional<Id> webhook_id;
  std::optional<Id> event_id;
  std::optional<DeliveryState> state;
};

// A delivery claimed for sending, with what sending needs.
struct DeliveryJob {
  Delivery delivery;
  Webhook webhook;
  OutboxEvent event;
};

// One delivery attempt's outcome, as the dispatcher records it: delivered, or pending with
// next_attempt, or dead when next_attempt is absent.
struct AttemptOutcome {
  Id delivery_id = 0;
  // The delivery's subscription: a batch is applied in its order (keeping each one's outcomes
  // in theirs), so batches of two nodes lock subscriptions in one order and never deadlock.
  Id webhook_id = 0;
  bool delivered = false;
  std::optional<int> status;
  std::optional<int> latency_ms;
  std::string error;
  std::optional<TimePoint> next_attempt;
};

// Deliveries waiting in the outbox, across partners (GET /metrics).
struct OutboxDepth {
  std::int64_t pending = 0;  // to be sent or retried
  std::int64_t dead = 0;     // given up on
};

// The webhooks part of the Store (see store.hpp). The partner API's methods reach only the
// given partner's objects; the dispatcher's work across partners.
class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  // NotFoundError when customer_id is set and not the partner's.
  virtual Webhook create_webhook(const Webhook& webhook) = 0;
  virtual std::optional<Webhook> find_webhook(Id partner_id, Id webhook_id) = 0;
  virtual Page<Webhook> list_webhooks(Id partner_id, PageRequest page) = 0;
  virtual Webhook update_webhook(const Webhook& webhook) = 0;  // NotFoundError
  // nullopt when the webhook is not the partner's; id, partner_id, failing and created never
  // change.
  virtual std::optional<Webhook> change_webhook(Id partner_id, Id webhook_id,
                                                const Change<Webhook>& change) = 0;
  virtual Webhook delete_webhook(Id partner_id, Id webhook_id) = 0;  // NotFoundError

  // The partner's events that committed after event `after` (0: from the first), in commit
  // order, so a reader that passes the last event it got never skips one that committed late.
  // Event ids are not ascending in it. An `after` at or below the largest id of the partner's
  // deleted events (purge_settled_events) reads as 0: the reader starts over at the oldest
  // event kept. nullopt when `after` is otherwise not one of the partner's events.
  virtual std::optional<std::vector<OutboxEvent>> events_after(Id partner_id, Id after,
                                                               int limit) = 0;
  // Puts committed events into the replay order (events_after does it itself first; the
  // sweep calls it so the backlog stays small). Returns how many it placed.
  virtual int sequence_events() = 0;
  virtual Page<Delivery> list_deliveries(Id partner_id, const DeliveryFilter& filter,
                                         PageRequest page) = 0;
  // Writes an event with one pending delivery for the given subscription only (a test
  // event). NotFoundError.
  virtual OutboxEvent add_test_event(Id partner_id, Id webhook_id) = 0;

  // Dispatcher, across partners: claims up to `limit` pending deliveries due at `now`,
  // oldest first, moving each one's next_attempt to now + lease so no other node (or
  // thread) sends it meanwhile; a claim whose sender dies is retried after the lease. A
  // delivery whose stored rows cannot be read is claimed too, so it waits out the lease
  // instead of blocking the head of the queue, and handed to `on_failure` rather than
  // returned (without a handler its error is thrown).
  virtual std::vector<DeliveryJob> claim_deliveries(TimePoint now, std::chrono::seconds lease,
                                                    int limit,
                                                    const RowFailureHandler& on_failure = {}) = 0;
  // Records attempts' outcomes in one transaction: one durable commit for all of them
  // instead of one each. A subscription whose deliveries keep failing is flagged failing; a
  // success clears the flag. All or none: when it throws, nothing was recorded (the
  // dispatcher then records them one by one, to find the row that fails).
  virtual void record_attempts(std::span<const AttemptOutcome> outcomes, TimePoint now) = 0;
  virtual OutboxDepth outbox_depth() = 0;

  // For the sweeper, across partners: deletes the events created before `cutoff` whose
  // deliveries are all settled (delivered or dead), with their deliveries, oldest first, a
  // batch of 500 per transaction so writers are not held up, at most `max_batches` batches.
  // An event with a pending delivery is kept until it settles. An event that cannot be deleted
  // goes to `on_failure` (its id) and stays; the others go on (without a handler its error is
  // thrown).
  virtual PurgeProgress purge_settled_events(TimePoint cutoff,
                                             const RowFailureHandler& on_failure = {},
                                             int max_batches = 20) = 0;
};

}  // namespace callsight
