#pragma once

#include "store/sql/sql_sub_store.hpp"
#include "store/webhook_store.hpp"

namespace callsight {

class SqlWebhookStore final : public WebhookStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  Webhook create_webhook(const Webhook& webhook) override;
  std::optional<Webhook> find_webhook(Id partner_id, Id webhook_id) override;
  Page<Webhook> list_webhooks(Id partner_id, PageRequest page) override;
  Webhook update_webhook(const Webhook& webhook) override;
  std::optional<Webhook> change_webhook(Id partner_id, Id webhook_id,
                                        const Change<Webhook>& change) override;
  Webhook delete_webhook(Id partner_id, Id webhook_id) override;

  std::optional<std::vector<OutboxEvent>> events_after(Id partner_id, Id after, int limit) override;
  int sequence_events() override;
  Page<Delivery> list_deliveries(Id partner_id, const DeliveryFilter& filter,
                                 PageRequest page) override;
  OutboxEvent add_test_event(Id partner_id, Id webhook_id) override;

  std::vector<DeliveryJob> claim_deliveries(TimePoint now, std::chrono::seconds lease, int limit,
                                            const RowFailureHandler& on_failure = {}) override;
  void record_attempts(std::span<const AttemptOutcome> outcomes, TimePoint now) override;
  OutboxDepth outbox_depth() override;
  PurgeProgress purge_settled_events(TimePoint cutoff, const RowFailureHandler& on_failure = {},
                                     int max_batches = 20) override;

 private:
  // Run inside a transaction their caller holds.
  std::optional<Webhook> find_webhook_locked(Id partner_id, Id webhook_id);
  void check_customer(Id partner_id, const std::optional<Id>& customer_id);
  // Places the committed events of one id range in the replay order; returns how many.
  int sequence_event_batch();
  // Whether the partner's deleted events reach up to `event_id` (a replay cursor that was
  // deleted), inside a transaction the caller holds.
  bool purged_through(Id partner_id, Id event_id);
  // One attempt's outcome, inside a transaction the caller holds.
  void record_attempt_locked(const AttemptOutcome& outcome, TimePoint now);
};

}  // namespace callsight
