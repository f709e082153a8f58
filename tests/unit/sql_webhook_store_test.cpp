#include "store/sql/sql_webhook_store.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/call_record.hpp"
#include "store/call_record_store.hpp"
#include "store/number_store.hpp"
#include "store/source_store.hpp"
#include "store/sql/sql_outbox.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

using std::chrono::seconds;

class SqlWebhookStoreTest : public SqlStoreFixture {
 protected:
  SqlWebhookStoreTest() {
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
  }

  Webhook subscribe(std::vector<std::string> types, std::optional<Id> customer_id = std::nullopt,
                    Id partner_id = 0) {
    Webhook w;
    w.partner_id = partner_id ? partner_id : partner_;
    w.customer_id = customer_id;
    w.url = "https://hooks.example/in";
    w.event_types = std::move(types);
    w.secret = "s3cret";
    return hooks().create_webhook(w);
  }

  CallRecord record(const std::string& switch_call_id, Id customer_id = 0) {
    CallRecord r;
    r.partner_id = partner_;
    r.customer_id = customer_id ? customer_id : customer_;
    r.switch_call_id = switch_call_id;
    r.caller = "+46701234567";
    r.tracking_number = "+46812345678";
    r.start = clock_.now();
    return store_->calls().record_call(r);
  }

  CallRecord apply(const std::string& switch_call_id, CallEventType type) {
    CallEvent e;
    e.type = type;
    e.at = clock_.now();
    e.answering_number = "+46890510";
    return store_->calls().apply_event(switch_call_id, e).record;
  }

  std::vector<OutboxEvent> events(Id partner_id = 0) {
    return hooks().events_after(partner_id ? partner_id : partner_, 0, 1000).value();
  }

  std::vector<Delivery> deliveries(const DeliveryFilter& filter = {}) {
    return hooks().list_deliveries(partner_, filter, {0, 1000}).items;
  }

  WebhookStore& hooks() { return store_->webhooks(); }

  // One attempt's outcome, recorded alone.
  void record_attempt(Id delivery_id, bool delivered, std::optional<int> status,
                      std::optional<int> latency_ms, const std::string& error,
                      std::optional<TimePoint> next_attempt, TimePoint now) {
    const AttemptOutcome outcome{.delivery_id = delivery_id,
                                 .delivered = delivered,
                                 .status = status,
                                 .latency_ms = latency_ms,
                                 .error = error,
                                 .next_attempt = next_attempt};
    hooks().record_attempts(std::span(&outcome, 1), now);
  }

  // An event of the partner's to write beneath the store, as its own writers would.
  OutboxEvent bare_event(std::string type, std::optional<Id> customer_id) {
    OutboxEvent event;
    event.partner_id = partner_;
    event.customer_id = customer_id;
    event.type = std::move(type);
    event.payload = "{}";
    event.created = clock_.now();
    return event;
  }

  Id partner_ = 0;
  Id customer_ = 0;
};

// ---- subscriptions ----

TEST_F(SqlWebhookStoreTest, CreateFindUpdateDeleteRoundTrip) {
  auto w = subscribe({"call.started", "call.completed"}, customer_);
  EXPECT_GT(w.id, 0);
  auto found = hooks().find_webhook(partner_, w.id).value();
  EXPECT_EQ(found.event_types, (std::vector<std::string>{"call.started", "call.completed"}));
  EXPECT_EQ(found.customer_id, customer_);
  EXPECT_EQ(found.secret, "s3cret");
  EXPECT_FALSE(found.failing);

  found.url = "http://other.example/x";
  found.format = WebhookFormat::form;
  found.template_text = "cdr={cdr_id}";
  found.customer_id.reset();
  found.secret.clear();  // not given: kept
  hooks().update_webhook(found);
  const auto updated = hooks().find_webhook(partner_, w.id).value();
  EXPECT_EQ(updated.url, "http://other.example/x");
  EXPECT_EQ(updated.format, WebhookFormat::form);
  EXPECT_EQ(updated.template_text, "cdr={cdr_id}");
  EXPECT_EQ(updated.customer_id, std::nullopt);
  EXPECT_EQ(updated.secret, "s3cret");

  EXPECT_EQ(hooks().list_webhooks(partner_, {}).total, 1);
  hooks().delete_webhook(partner_, w.id);
  EXPECT_EQ(hooks().find_webhook(partner_, w.id), std::nullopt);
  EXPECT_THROW(hooks().delete_webhook(partner_, w.id), NotFoundError);
}

TEST_F(SqlWebhookStoreTest, PartnersSeeOnlyTheirOwnSubscriptions) {
  const Id other = make_partner("other");
  const Id other_customer = make_customer(other, "O-1");
  const auto w = subscribe({"call.started"});
  EXPECT_EQ(hooks().find_webhook(other, w.id), std::nullopt);
  EXPECT_EQ(hooks().list_webhooks(other, {}).total, 0);
  EXPECT_THROW(hooks().delete_webhook(other, w.id), NotFoundError);
  EXPECT_THROW(hooks().add_test_event(other, w.id), NotFoundError);
  auto foreign = w;
  foreign.partner_id = other;
  EXPECT_THROW(hooks().update_webhook(foreign), NotFoundError);
  EXPECT_THROW(subscribe({"call.started"}, other_customer), NotFoundError);
}

// ---- the outbox ----

TEST_F(SqlWebhookStoreTest, CallChangesWriteEventsNumberedPerCall) {
  record("a@edge");
  record("b@edge");
  clock_.advance(seconds(3));
  apply("a@edge", CallEventType::ringing);
  apply("a@edge", CallEventType::answered);
  apply("a@edge", CallEventType::answered);  // retransmitted: no event
  clock_.advance(seconds(60));
  apply("a@edge", CallEventType::hangup);

  std::vector<std::pair<std::string, int>> a;
  for (const auto& e : events()) {
    if (e.payload.find("\"+46701234xxx\"") == std::string::npos) ADD_FAILURE() << e.payload;
    if (e.cdr_id == events().front().cdr_id) a.emplace_back(e.type, e.sequence);
  }
  EXPECT_EQ(
      a,
      (std::vector<std::pair<std::string, int>>{
          {"call.started", 1}, {"call.updated", 2}, {"call.answered", 3}, {"call.completed", 4}}));
  EXPECT_EQ(events()[1].type, "call.started");
  EXPECT_EQ(events()[1].sequence, 1);
}

TEST_F(SqlWebhookStoreTest, AnswerAndEndInOneEventRaiseBoth) {
  record("a@edge");
  CallEvent hangup;
  hangup.type = CallEventType::hangup;
  hangup.at = clock_.now();
  store_->calls().apply_event("a@edge", hangup);
  const auto all = events();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].type, "call.completed");
  EXPECT_EQ(all[1].sequence, 2);
}

TEST_F(SqlWebhookStoreTest, RecordingACallTwiceAnnouncesItOnce) {
  record("a@edge");
  record("a@edge");
  EXPECT_EQ(events().size(), 1u);
}

TEST_F(SqlWebhookStoreTest, EventsRollBackWithTheChangeThatCausedThem) {
  subscribe({"call.started"});
  CallRecord broken;
  broken.partner_id = partner_;
  broken.customer_id = customer_ + 1000;  // no such customer: the insert fails
  broken.switch_call_id = "x@edge";
  broken.start = clock_.now();
  EXPECT_ANY_THROW(store_->calls().record_call(broken));
  EXPECT_TRUE(events().empty());
  EXPECT_TRUE(deliveries().empty());
  EXPECT_THROW(apply("missing@edge", CallEventType::ringing), NotFoundError);
  EXPECT_TRUE(events().empty());
}

TEST_F(SqlWebhookStoreTest, SourceCreationWritesItsEvent) {
  store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
  const auto source = make_source(partner_, customer_, "+46812345678");
  const auto all = events();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].type, "source.created");
  EXPECT_EQ(all[0].source_id, source.id);
  EXPECT_EQ(all[0].sequence, 0);
  EXPECT_NE(all[0].payload.find("\"status\":\"active\""), std::string::npos) << all[0].payload;
}

// Status follows the clock, so the sweep announces each change once, whenever it happened.
TEST_F(SqlWebhookStoreTest, SweepAnnouncesEachStatusChangeOnce) {
  store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
  auto source = make_source(partner_, customer_, "+46812345678");
  store_->sources().sweep_sources();
  EXPECT_EQ(events().size(), 1u);  // source.created only: nothing changed since
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  store_->sources().sweep_sources();
  store_->sources().sweep_sources();
  clock_.advance(std::chrono::hours(24 * 61));  // past the 60-day quarantine
  store_->sources().sweep_sources();
  store_->sources().sweep_sources();
  std::vector<std::string> seen;
  for (const auto& e : events()) {
    seen.push_back(e.type + " " + nlohmann::json::parse(e.payload)["status"].get<std::string>());
    EXPECT_EQ(e.source_id, source.id);
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"source.created active", "source.status_changed quarantined",
                                      "source.status_changed archived"}));
}

TEST_F(SqlWebhookStoreTest, DeliveriesGoOnlyToMatchingSubscriptions) {
  const Id customer2 = make_customer(partner_, "K-2");
  const Id other = make_partner("other");
  const auto all_started = subscribe({"call.started"});
  const auto k1_all = subscribe({"call.started", "call.completed"}, customer_);
  const auto k2 = subscribe({"call.started"}, customer2);
  const auto completed_only = subscribe({"call.completed"});
  subscribe({"call.started"}, std::nullopt, other);

  record("a@edge");
  std::set<Id> got;
  for (const auto& d : deliveries()) {
    got.insert(d.webhook_id);
    EXPECT_EQ(d.state, DeliveryState::pending);
    EXPECT_EQ(d.next_attempt, clock_.now());
    EXPECT_EQ(d.partner_id, partner_);
  }
  EXPECT_EQ(got, (std::set<Id>{all_started.id, k1_all.id}));
  EXPECT_EQ(deliveries({.webhook_id = k2.id}).size(), 0u);
  EXPECT_EQ(deliveries({.webhook_id = completed_only.id}).size(), 0u);
  EXPECT_EQ(hooks().list_deliveries(other, {}, {}).total, 0);
}

TEST_F(SqlWebhookStoreTest, DeletingASubscriptionKeepsItsEvents) {
  const auto w = subscribe({"call.started"});
  record("a@edge");
  hooks().delete_webhook(partner_, w.id);
  EXPECT_TRUE(deliveries().empty());
  EXPECT_EQ(events().size(), 1u);
}

TEST_F(SqlWebhookStoreTest, TestEventGoesToItsSubscriptionOnly) {
  const auto w = subscribe({"call.started"});
  subscribe({"call.started"});
  const auto event = hooks().add_test_event(partner_, w.id);
  EXPECT_EQ(event.type, "webhook.test");
  EXPECT_EQ(event.payload, R"({"webhook_id":")" + std::to_string(w.id) + "\"}");
  const auto ds = deliveries({.event_id = event.id});
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].webhook_id, w.id);
}

TEST_F(SqlWebhookStoreTest, EventsAfterReplaysInOrderPerPartner) {
  const Id other = make_partner("other");
  const auto w = subscribe({"call.started"});
  record("a@edge");
  record("b@edge");
  hooks().add_test_event(partner_, w.id);
  const auto all = events();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_LT(all[0].id, all[1].id);
  EXPECT_LT(all[1].id, all[2].id);
  const auto rest = hooks().events_after(partner_, all[0].id, 1);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].id, all[1].id);
  EXPECT_TRUE(hooks().events_after(partner_, all[2].id, 10)->empty());
  EXPECT_TRUE(events(other).empty());
}

TEST_F(SqlWebhookStoreTest, EventsAfterAnotherPartnersOrAnUnknownEventIsRefused) {
  const Id other = make_partner("other");
  record("a@edge");
  const auto mine = events();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_FALSE(hooks().events_after(other, mine[0].id, 10));
  EXPECT_FALSE(hooks().events_after(partner_, mine[0].id + 1000, 10));
}

// ---- retention ----

// Events past the retention go with their deliveries once every delivery settled (delivered
// or dead); a pending one keeps its event, and newer events stay.
TEST_F(SqlWebhookStoreTest, PurgeDeletesOldSettledEventsWithTheirDeliveriesOnly) {
  const auto w = subscribe({"call.started"});
  record("delivered@edge");
  record("dead@edge");
  record("pending@edge");
  const auto old = events();
  ASSERT_EQ(old.size(), 3u);
  const auto old_deliveries = deliveries();
  ASSERT_EQ(old_deliveries.size(), 3u);
  record_attempt(old_deliveries[0].id, true, 200, 5, "", std::nullopt, clock_.now());
  record_attempt(old_deliveries[1].id, false, 500, 5, "server error", std::nullopt, clock_.now());
  clock_.advance(std::chrono::hours(24 * 31));
  record("new@edge");
  const auto cutoff = clock_.now() - std::chrono::hours(24 * 30);

  EXPECT_EQ(hooks().purge_settled_events(cutoff).deleted, 2u);

  const auto kept = events();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, old[2].id);  // its delivery is still pending
  EXPECT_GT(kept[1].id, old[2].id);
  const auto kept_deliveries = deliveries();
  ASSERT_EQ(kept_deliveries.size(), 2u);
  EXPECT_EQ(kept_deliveries[0].id, old_deliveries[2].id);
  EXPECT_EQ(kept_deliveries[0].state, DeliveryState::pending);
  EXPECT_EQ(hooks().purge_settled_events(cutoff).deleted, 0u);
  EXPECT_TRUE(hooks().find_webhook(partner_, w.id));
}

// The walk goes by id in batches (500 per transaction), as many per call as asked, and stops
// at the first event made after the cutoff: more old events than a batch all go, over two
// calls when each may do two batches, and none made after the cutoff does.
TEST_F(SqlWebhookStoreTest, PurgeWalksEveryBatchOfOldEventsAndStopsAtTheCutoff) {
  constexpr std::size_t kOld = 1203;
  {
    auto raw = database_.open_raw();
    SqlTransaction tx(*raw, TxMode::write);
    for (std::size_t i = 0; i < kOld; ++i) insert_outbox_event(*raw, bare_event("test", {}));
    tx.commit();
  }
  ASSERT_EQ(hooks().events_after(partner_, 0, 2000)->size(), kOld);  // placed in replay order
  clock_.advance(std::chrono::hours(2));
  const auto cutoff = clock_.now();
  record("new@edge");
  record("newer@edge");

  // Two batches per call: the first call leaves the third batch for the next.
  const auto first = hooks().purge_settled_events(cutoff, {}, 2);
  EXPECT_EQ(first.deleted, 1000u);
  EXPECT_FALSE(first.done);
  const auto second = hooks().purge_settled_events(cutoff, {}, 2);
  EXPECT_EQ(second.deleted, kOld - 1000);
  EXPECT_TRUE(second.done);

  const auto kept = events();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].created, cutoff);
}

// One event whose delete fails (a trigger refuses it, as a damaged row or a constraint would)
// goes to the handler and stays; the others of its batch and of the batches after go.
TEST_F(SqlWebhookStoreTest, AnEventThatCannotBeDeletedGoesToTheHandlerAndTheOthersGo) {
  if (testing_postgres()) GTEST_SKIP() << "refuses the delete with an SQLite trigger";
  constexpr std::size_t kOld = 700;  // two batches
  auto raw = database_.open_raw();
  {
    SqlTransaction tx(*raw, TxMode::write);
    for (std::size_t i = 0; i < kOld; ++i) insert_outbox_event(*raw, bare_event("test", {}));
    tx.commit();
  }
  const auto old = hooks().events_after(partner_, 0, 2000).value();
  ASSERT_EQ(old.size(), kOld);
  const Id refused = old[10].id;
  {
    SqlTransaction tx(*raw, TxMode::write);
    raw->prepare("CREATE TRIGGER refuse_purge BEFORE DELETE ON webhook_events WHEN OLD.id = " +
                 std::to_string(refused) + " BEGIN SELECT RAISE(ABORT, 'refused'); END")
        .run();
    tx.commit();
  }
  clock_.advance(std::chrono::hours(2));
  std::vector<Id> failed;
  const auto handler = [&failed](Id id, const std::exception&) { failed.push_back(id); };

  EXPECT_EQ(hooks().purge_settled_events(clock_.now(), handler).deleted, kOld - 1);

  EXPECT_EQ(failed, std::vector<Id>{refused});
  const auto kept = events();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].id, refused);
  EXPECT_ANY_THROW(hooks().purge_settled_events(clock_.now()));  // without a handler: thrown
}

// A replay cursor that was deleted reads as the start of what is kept: the reader goes on
// from the oldest event kept instead of being refused. Another partner's deletions do not
// make this partner's unknown ids valid.
TEST_F(SqlWebhookStoreTest, EventsAfterADeletedEventStartsAtTheOldestKept) {
  const Id other = make_partner("other");
  record("a@edge");
  record("b@edge");
  const auto old = events();
  ASSERT_EQ(old.size(), 2u);
  clock_.advance(std::chrono::hours(24 * 31));
  record("c@edge");
  ASSERT_EQ(hooks().purge_settled_events(clock_.now() - std::chrono::hours(24)).deleted, 2u);

  const auto from_deleted = hooks().events_after(partner_, old[0].id, 10);
  ASSERT_TRUE(from_deleted);
  ASSERT_EQ(from_deleted->size(), 1u);
  EXPECT_GT((*from_deleted)[0].id, old[1].id);
  EXPECT_EQ(hooks().events_after(partner_, old[1].id, 10)->size(), 1u);
  EXPECT_FALSE(hooks().events_after(other, old[0].id, 10));
  EXPECT_FALSE(hooks().events_after(partner_, (*from_deleted)[0].id + 1000, 10));
}

TEST_F(SqlWebhookStoreTest, SequencingPlacesEachCommittedEventOnce) {
  for (int i = 0; i < 5; ++i) record("s" + std::to_string(i) + "@edge");
  EXPECT_EQ(hooks().sequence_events(), 5);
  EXPECT_EQ(hooks().sequence_events(), 0);
  record("late@edge");
  EXPECT_EQ(events().size(), 6u);
  EXPECT_EQ(hooks().sequence_events(), 0);
}

// PostgreSQL takes event ids before commit, so a transaction holding a smaller id can commit
// after a reader has passed a larger one; the replay order must still give it to the reader.
TEST_F(SqlWebhookStoreTest, EventsAfterGivesAnEventThatCommittedLateAfterTheCursor) {
  if (!testing_postgres()) GTEST_SKIP() << "SQLite writers never overlap";
  auto raw = database_.open_raw();
  auto late = bare_event("webhook.test", std::nullopt);
  SqlTransaction slow(*raw, TxMode::concurrent_write);
  late = insert_outbox_event(*raw, late);
  std::thread([&] { record("quick@edge"); }).join();
  const auto first_read = events();
  ASSERT_EQ(first_read.size(), 1u);
  EXPECT_GT(first_read[0].id, late.id);
  slow.commit();
  const auto next = hooks().events_after(partner_, first_read[0].id, 10);
  ASSERT_TRUE(next);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].id, late.id);
}

// A subscription deleted while a call writes its deliveries waits for the call's commit (and
// then takes the deliveries with it) rather than failing the call's foreign key.
TEST_F(SqlWebhookStoreTest, DeletingASubscriptionWaitsForAWriterThatChoseIt) {
  if (!testing_postgres()) GTEST_SKIP() << "SQLite writers never overlap";
  const auto w = subscribe({"call.started"});
  auto raw = database_.open_raw();
  auto event = bare_event("call.started", customer_);
  SqlTransaction writer(*raw, TxMode::concurrent_write);
  event = insert_outbox_event(*raw, event);
  const auto chosen = subscribed_webhook_ids(*raw, event);
  ASSERT_EQ(chosen, std::vector<Id>{w.id});
  auto deleting = std::async(std::launch::async, [&] { hooks().delete_webhook(partner_, w.id); });
  EXPECT_EQ(deleting.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);
  add_pending_delivery(*raw, event, w.id);
  writer.commit();
  deleting.get();
  EXPECT_TRUE(deliveries().empty());
  EXPECT_EQ(events().size(), 1u);
}

// ---- the dispatcher's side ----

TEST_F(SqlWebhookStoreTest, ClaimHandsOutDueDeliveriesWithWebhookAndEvent) {
  const auto w = subscribe({"call.started"});
  record("a@edge");
  const auto jobs = hooks().claim_deliveries(clock_.now(), seconds(60), 10);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].webhook.id, w.id);
  EXPECT_EQ(jobs[0].webhook.secret, "s3cret");
  EXPECT_EQ(jobs[0].event.type, "call.started");
  EXPECT_EQ(jobs[0].event.sequence, 1);
  EXPECT_EQ(jobs[0].delivery.next_attempt, clock_.now() + seconds(60));
  EXPECT_TRUE(hooks().claim_deliveries(clock_.now() + seconds(59), seconds(60), 10).empty());
  // The claimer died: after the lease another one gets it.
  EXPECT_EQ(hooks().claim_deliveries(clock_.now() + seconds(60), seconds(60), 10).size(), 1u);
}

// A subscription whose stored event types were edited into something that is not JSON
// cannot be read: its delivery is reported, held for a lease like any claim and tried again
// after it, while the other partner's delivery goes out.
TEST_F(SqlWebhookStoreTest, AnUnreadableDeliveryIsReportedAndHeldWhileTheOthersAreClaimed) {
  const Id other = make_partner("other");
  const auto broken = subscribe({"call.started"});
  const auto fine = subscribe({"call.started"}, std::nullopt, other);
  hooks().add_test_event(partner_, broken.id);
  hooks().add_test_event(other, fine.id);
  const Id broken_delivery = deliveries({.webhook_id = broken.id}).at(0).id;
  {
    auto raw = database_.open_raw();
    SqlTransaction tx(*raw, TxMode::write);
    raw->prepare("UPDATE webhooks SET event_types = 'not json' WHERE id = :id")
        .bind(":id", broken.id)
        .run();
    tx.commit();
  }
  EXPECT_ANY_THROW(hooks().claim_deliveries(clock_.now(), seconds(60), 10));  // no handler

  std::vector<Id> failed;
  const auto record_failure = [&](Id delivery_id, const std::exception&) {
    failed.push_back(delivery_id);
  };
  auto jobs = hooks().claim_deliveries(clock_.now(), seconds(60), 10, record_failure);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].webhook.id, fine.id);
  EXPECT_EQ(failed, std::vector<Id>{broken_delivery});
  EXPECT_TRUE(hooks()
                  .claim_deliveries(clock_.now() + seconds(59), seconds(60), 10, record_failure)
                  .empty());
  EXPECT_EQ(failed.size(), 1u);
  jobs = hooks().claim_deliveries(clock_.now() + seconds(60), seconds(60), 10, record_failure);
  EXPECT_EQ(jobs.size(), 1u);
  EXPECT_EQ(failed, (std::vector<Id>{broken_delivery, broken_delivery}));
}

TEST_F(SqlWebhookStoreTest, ConcurrentClaimersNeverShareADelivery) {
  subscribe({"call.started"});
  subscribe({"call.started"});
  for (int i = 0; i < 20; ++i) record("c" + std::to_string(i) + "@edge");
  std::mutex mutex;
  std::multiset<Id> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        const auto jobs = hooks().claim_deliveries(clock_.now(), seconds(300), 3);
        if (jobs.empty()) return;
        std::lock_guard lock(mutex);
        for (const auto& job : jobs) claimed.insert(job.delivery.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.size(), 40u);
  EXPECT_EQ(std::set<Id>(claimed.begin(), claimed.end()).size(), 40u);
}

TEST_F(SqlWebhookStoreTest, RecordAttemptMovesThroughRetryDeliveredAndDead) {
  subscribe({"call.started"});
  record("a@edge");
  record("b@edge");
  const auto jobs = hooks().claim_deliveries(clock_.now(), seconds(60), 10);
  ASSERT_EQ(jobs.size(), 2u);
  const Id first = jobs[0].delivery.id;
  const Id second = jobs[1].delivery.id;
  const auto now = clock_.now();
  record_attempt(first, false, 503, 12, "", now + seconds(10), now);
  auto d = deliveries({.event_id = jobs[0].event.id}).at(0);
  EXPECT_EQ(d.state, DeliveryState::pending);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_status, 503);
  EXPECT_EQ(d.last_latency_ms, 12);
  EXPECT_EQ(d.next_attempt, now + seconds(10));

  record_attempt(first, true, 200, 8, "", std::nullopt, now + seconds(10));
  d = deliveries({.event_id = jobs[0].event.id}).at(0);
  EXPECT_EQ(d.state, DeliveryState::delivered);
  EXPECT_EQ(d.attempts, 2);
  EXPECT_EQ(d.delivered_at, now + seconds(10));

  record_attempt(second, false, std::nullopt, std::nullopt, "timeout", std::nullopt, now);
  d = deliveries({.state = DeliveryState::dead}).at(0);
  EXPECT_EQ(d.id, second);
  EXPECT_EQ(d.last_error, "timeout");
  EXPECT_EQ(d.last_status, std::nullopt);
  EXPECT_TRUE(hooks().claim_deliveries(now + seconds(3600), seconds(60), 10).empty());
}

TEST_F(SqlWebhookStoreTest, FiveFailuresInARowFlagASubscriptionAndASuccessClearsIt) {
  const auto w = subscribe({"call.started"});
  for (int i = 0; i < 3; ++i) record("c" + std::to_string(i) + "@edge");
  const auto jobs = hooks().claim_deliveries(clock_.now(), seconds(60), 10);
  ASSERT_EQ(jobs.size(), 3u);
  const auto now = clock_.now();
  // Failures across deliveries count together.
  for (int i = 0; i < 4; ++i) {
    record_attempt(jobs[i % 3].delivery.id, false, 500, 5, "", now + seconds(10), now);
  }
  EXPECT_FALSE(hooks().find_webhook(partner_, w.id)->failing);
  record_attempt(jobs[1].delivery.id, false, 500, 5, "", now + seconds(10), now);
  EXPECT_TRUE(hooks().find_webhook(partner_, w.id)->failing);
  record_attempt(jobs[2].delivery.id, true, 200, 5, "", std::nullopt, now);
  EXPECT_FALSE(hooks().find_webhook(partner_, w.id)->failing);
  // The count starts over after the success.
  for (int i = 0; i < 4; ++i) {
    record_attempt(jobs[0].delivery.id, false, 500, 5, "", now + seconds(10), now);
  }
  EXPECT_FALSE(hooks().find_webhook(partner_, w.id)->failing);
}

TEST_F(SqlWebhookStoreTest, RecordAttemptsRecordsABatchKeepingEachSubscriptionsOrder) {
  const auto bad = subscribe({"call.started"});
  const auto good = subscribe({"call.started"});
  for (int i = 0; i < 3; ++i) record("batch" + std::to_string(i) + "@edge");
  const auto jobs = hooks().claim_deliveries(clock_.now(), seconds(60), 10);
  ASSERT_EQ(jobs.size(), 6u);
  std::vector<Id> bads;
  std::vector<Id> goods;
  for (const auto& job : jobs) (job.webhook.id == bad.id ? bads : goods).push_back(job.delivery.id);
  ASSERT_EQ(bads.size(), 3u);
  const auto now = clock_.now();
  const auto failed = [&](Id id) {
    return AttemptOutcome{.delivery_id = id,
                          .webhook_id = bad.id,
                          .delivered = false,
                          .status = 500,
                          .next_attempt = now + seconds(10)};
  };
  const auto delivered = [&](Id id, Id webhook_id) {
    return AttemptOutcome{
        .delivery_id = id, .webhook_id = webhook_id, .delivered = true, .status = 200};
  };
  // One subscription's failures beside the other's successes: each row gets its own outcome.
  std::vector<AttemptOutcome> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back(failed(bads[i]));
    batch.push_back(delivered(goods[i], good.id));
  }
  hooks().record_attempts(batch, now);
  EXPECT_EQ(deliveries({.webhook_id = good.id, .state = DeliveryState::delivered}).size(), 3u);
  const auto pending = deliveries({.webhook_id = bad.id, .state = DeliveryState::pending});
  ASSERT_EQ(pending.size(), 3u);
  for (const auto& d : pending) {
    EXPECT_EQ(d.attempts, 1);
    EXPECT_EQ(d.last_status, 500);
  }
  hooks().record_attempts(std::vector{failed(bads[0]), failed(bads[1])}, now);
  EXPECT_TRUE(hooks().find_webhook(partner_, bad.id)->failing);
  EXPECT_FALSE(hooks().find_webhook(partner_, good.id)->failing);
  // A failure then a success of one subscription, listed after the other's: the success is
  // last, so the count starts over (four more failures do not flag it; five would have).
  hooks().record_attempts(
      std::vector{failed(bads[0]), delivered(goods[0], good.id), delivered(bads[2], bad.id)}, now);
  EXPECT_FALSE(hooks().find_webhook(partner_, bad.id)->failing);
  hooks().record_attempts(
      std::vector{failed(bads[0]), failed(bads[1]), failed(bads[0]), failed(bads[1])}, now);
  EXPECT_FALSE(hooks().find_webhook(partner_, bad.id)->failing);
  hooks().record_attempts(std::vector{failed(bads[0])}, now);
  EXPECT_TRUE(hooks().find_webhook(partner_, bad.id)->failing);
}

TEST_F(SqlWebhookStoreTest, AClaimNeverRecordedComesBackAfterItsLeaseWithItsEvent) {
  subscribe({"call.started"});
  record("crash@edge");
  const auto now = clock_.now();
  const auto first = hooks().claim_deliveries(now, seconds(15), 10);
  ASSERT_EQ(first.size(), 1u);
  // The sender died after sending, before recording: nothing is due until the lease ends.
  EXPECT_TRUE(hooks().claim_deliveries(now + seconds(14), seconds(15), 10).empty());
  const auto again = hooks().claim_deliveries(now + seconds(15), seconds(15), 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].delivery.id, first[0].delivery.id);
  EXPECT_EQ(again[0].event.id, first[0].event.id);
  EXPECT_EQ(again[0].event.payload, first[0].event.payload);
  EXPECT_EQ(again[0].delivery.attempts, 0);
}

}  // namespace
}  // namespace callsight
