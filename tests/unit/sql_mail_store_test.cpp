#include "store/sql/sql_mail_store.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "core/call_record.hpp"
#include "store/call_record_store.hpp"
#include "store/campaign_store.hpp"
#include "store/mail_store.hpp"
#include "store/number_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

using std::chrono::seconds;

class SqlMailStoreTest : public SqlStoreFixture {
 protected:
  SqlMailStoreTest() {
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
    store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
    source_ = make_source(partner_, customer_, "+46812345678");
    source_.name = "Spring ads";
    source_.email = "sales@example.com";
    source_.notify_on_missed_call = 1;
    source_ = store_->sources().update_source(source_);
  }

  CallRecord inbound(const std::string& switch_call_id) {
    CallRecord r;
    r.partner_id = partner_;
    r.customer_id = customer_;
    r.source_id = source_.id;
    r.switch_call_id = switch_call_id;
    r.caller = "+46701234567";
    r.tracking_number = source_.tracking_number;
    r.answering_number = "+46890510";
    r.start = clock_.now();
    return r;
  }

  static CallEvent event(CallEventType type, TimePoint at, std::optional<int> sip = {}) {
    CallEvent e;
    e.type = type;
    e.at = at;
    e.sip_status = sip;
    return e;
  }

  // A call recorded now that fails with `sip` ten seconds later.
  CallRecord unanswered_call(const std::string& id, int sip = 480) {
    const auto call = store_->calls().record_call(inbound(id));
    store_->calls().apply_event(id, event(CallEventType::failed, call.start + seconds(10), sip));
    return call;
  }

  MailStore& mail() { return store_->mail(); }

  Id partner_ = 0;
  Id customer_ = 0;
  Source source_;
};

TEST_F(SqlMailStoreTest, AMissedCallQueuesOneMailWithItsDetails) {
  const auto call = unanswered_call("c1");
  const auto mails = mail().mails_of_call(call.id);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].kind, NotificationKind::missed_call);
  EXPECT_EQ(mails[0].recipient, "sales@example.com");
  EXPECT_EQ(mails[0].partner_id, partner_);
  EXPECT_EQ(mails[0].state, MailState::pending);
  EXPECT_EQ(mails[0].attempts, 0);
  EXPECT_EQ(mails[0].next_attempt, clock_.now());
  EXPECT_NE(mails[0].subject.find("Spring ads"), std::string::npos);
  EXPECT_NE(mails[0].body.find("+46701234567"), std::string::npos);
  EXPECT_NE(mails[0].body.find("CET"), std::string::npos);  // the partner's zone
  EXPECT_EQ(mails[0].message_token.size(), 32u);
}

TEST_F(SqlMailStoreTest, TheEndReportedAgainOrLateQueuesNoSecondMail) {
  const auto call = unanswered_call("c1");
  // The same end again, a hangup after it, an event batch repeating it.
  store_->calls().apply_event("c1", event(CallEventType::failed, call.start + seconds(10), 480));
  store_->calls().apply_event("c1", event(CallEventType::hangup, call.start + seconds(11)));
  const std::vector<SwitchCallEvent> batch = {
      {"c1", event(CallEventType::failed, call.start + seconds(9), 486)}};
  store_->calls().apply_events(batch);
  EXPECT_EQ(mail().mails_of_call(call.id).size(), 1u);
}

TEST_F(SqlMailStoreTest, AnsweredVoicemailAndUnnotifiedCallsQueueNone) {
  const auto answered = store_->calls().record_call(inbound("answered"));
  store_->calls().apply_event("answered", event(CallEventType::answered, clock_.now()));
  store_->calls().apply_event("answered", event(CallEventType::hangup, clock_.now() + seconds(5)));
  EXPECT_TRUE(mail().mails_of_call(answered.id).empty());

  const auto voicemail = store_->calls().record_call(inbound("vm"));
  store_->calls().apply_event("vm", event(CallEventType::voicemail, clock_.now()));
  store_->calls().apply_event("vm", event(CallEventType::hangup, clock_.now() + seconds(5)));
  EXPECT_TRUE(mail().mails_of_call(voicemail.id).empty());

  source_.notify_on_missed_call = 0;
  store_->sources().update_source(source_);
  EXPECT_TRUE(mail().mails_of_call(unanswered_call("off").id).empty());
}

TEST_F(SqlMailStoreTest, TheCampaignGivesTheAddressAndTheSwitchWhenTheSourceHasNone) {
  Campaign campaign;
  campaign.customer_id = customer_;
  campaign.name = "Spring";
  campaign.email = "boss@example.com";
  campaign.notify_on_missed_call = 1;
  campaign.timestamp = clock_.now();
  campaign = store_->campaigns().create_campaign(partner_, campaign);
  source_.email.reset();
  source_.notify_on_missed_call = 0;
  source_.campaign_id = campaign.id;
  source_ = store_->sources().update_source(source_);
  auto record = inbound("c1");
  record.campaign_id = campaign.id;
  const auto call = store_->calls().record_call(record);
  store_->calls().apply_event("c1", event(CallEventType::failed, call.start + seconds(3), 486));
  const auto mails = mail().mails_of_call(call.id);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].recipient, "boss@example.com");
}

TEST_F(SqlMailStoreTest, ACallTheSweepClosedIsMissedOnceItsRealEndArrives) {
  const auto call = store_->calls().record_call(inbound("c1"));
  const auto max = std::chrono::hours(4);
  clock_.advance(max);
  ASSERT_TRUE(store_->calls().close_overdue_call(call.id, clock_.now(), max));
  EXPECT_TRUE(mail().mails_of_call(call.id).empty());  // unknown: not known to be missed
  store_->calls().apply_event("c1", event(CallEventType::failed, call.start + seconds(20), 408));
  EXPECT_EQ(mail().mails_of_call(call.id).size(), 1u);
}

TEST_F(SqlMailStoreTest, AClaimHidesTheMailUntilItsLeaseEnds) {
  unanswered_call("c1");
  const auto lease = seconds(65);
  const auto claimed = mail().claim_mails(clock_.now(), lease, 10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].body.empty(), false);
  EXPECT_TRUE(mail().claim_mails(clock_.now(), lease, 10).empty());  // another node
  clock_.advance(lease - seconds(1));
  EXPECT_TRUE(mail().claim_mails(clock_.now(), lease, 10).empty());
  clock_.advance(seconds(1));  // its sender died: it comes back
  EXPECT_EQ(mail().claim_mails(clock_.now(), lease, 10).size(), 1u);
}

TEST_F(SqlMailStoreTest, AFailedAttemptIsRetriedThenSentOnceAndLosesItsBody) {
  const auto call = unanswered_call("c1");
  auto claimed = mail().claim_mails(clock_.now(), seconds(65), 10);
  ASSERT_EQ(claimed.size(), 1u);
  const Id id = claimed[0].id;
  mail().record_mail_attempt(
      id, {.error = "SMTP 451 at RCPT", .next_attempt = clock_.now() + seconds(30)}, clock_.now());
  auto stored = mail().mails_of_call(call.id).at(0);
  EXPECT_EQ(stored.state, MailState::pending);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.last_error, "SMTP 451 at RCPT");
  EXPECT_FALSE(stored.body.empty());
  EXPECT_EQ(mail().mail_outbox_depth().pending, 1);
  EXPECT_EQ(mail().mail_outbox_depth().oldest_pending, stored.created);

  EXPECT_TRUE(mail().claim_mails(clock_.now() + seconds(29), seconds(65), 10).empty());
  clock_.advance(seconds(30));
  claimed = mail().claim_mails(clock_.now(), seconds(65), 10);
  ASSERT_EQ(claimed.size(), 1u);
  mail().record_mail_attempt(id, {.sent = true}, clock_.now());
  // A late record of the first claim (its lease ran out) changes nothing now.
  mail().record_mail_attempt(id, {.error = "timeout at DATA"}, clock_.now());
  stored = mail().mails_of_call(call.id).at(0);
  EXPECT_EQ(stored.state, MailState::sent);
  EXPECT_EQ(stored.attempts, 2);
  EXPECT_EQ(stored.sent_at, clock_.now());
  EXPECT_TRUE(stored.body.empty());
  EXPECT_FALSE(stored.subject.empty());
  EXPECT_EQ(mail().mail_outbox_depth().pending, 0);
  EXPECT_FALSE(mail().mail_outbox_depth().oldest_pending);
  EXPECT_TRUE(mail().claim_mails(clock_.now() + std::chrono::hours(1), seconds(65), 10).empty());
}

TEST_F(SqlMailStoreTest, AnUnreadableMailGoesToTheJobsHandlerAndTheOthersAreClaimed) {
  const auto first = unanswered_call("c1");
  unanswered_call("c2");
  const auto broken = mail().mails_of_call(first.id).at(0).id;
  // A row no version writes: reading it fails (an unknown kind).
  const auto raw = database_.open_raw();
  {
    SqlTransaction tx(*raw, TxMode::write);
    raw->prepare("UPDATE mail_outbox SET kind = 'sideways' WHERE id = :id")
        .bind(":id", broken)
        .run();
    tx.commit();
  }
  std::vector<Id> failed;
  const auto handler = [&failed](Id id, const std::exception&) { failed.push_back(id); };
  const auto claimed = mail().claim_mails(clock_.now(), seconds(65), 10, handler);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_NE(claimed[0].id, broken);
  EXPECT_EQ(failed, std::vector<Id>{broken});
  mail().record_mail_attempt(claimed[0].id, {.sent = true}, clock_.now());
  // Held for the lease like a claimed one, then handed over again: retried, never lost.
  EXPECT_TRUE(mail().claim_mails(clock_.now(), seconds(65), 10, handler).empty());
  clock_.advance(seconds(65));
  EXPECT_TRUE(mail().claim_mails(clock_.now(), seconds(65), 10, handler).empty());
  EXPECT_EQ(failed, (std::vector<Id>{broken, broken}));
}

TEST_F(SqlMailStoreTest, AMailGivenUpOnIsDeadAndCounted) {
  unanswered_call("c1");
  const auto claimed = mail().claim_mails(clock_.now(), seconds(65), 10);
  ASSERT_EQ(claimed.size(), 1u);
  mail().record_mail_attempt(claimed[0].id, {.error = "SMTP 550 at RCPT"}, clock_.now());
  const auto depth = mail().mail_outbox_depth();
  EXPECT_EQ(depth.pending, 0);
  EXPECT_EQ(depth.dead, 1);
}

// Sent and dead mails past the retention are deleted; a pending one (still to be sent) and
// newer ones stay.
TEST_F(SqlMailStoreTest, PurgeDeletesOldSentAndDeadMailsOnly) {
  const auto sent = unanswered_call("sent");
  const auto dead = unanswered_call("dead");
  const auto pending = unanswered_call("pending");
  const auto sent_id = mail().mails_of_call(sent.id).at(0).id;
  const auto dead_id = mail().mails_of_call(dead.id).at(0).id;
  mail().record_mail_attempt(sent_id, {.sent = true}, clock_.now());
  mail().record_mail_attempt(dead_id, {.error = "SMTP 550 at RCPT"}, clock_.now());
  clock_.advance(std::chrono::hours(24 * 31));
  const auto cutoff = clock_.now() - std::chrono::hours(24 * 30);
  const auto recent = unanswered_call("recent");
  mail().record_mail_attempt(mail().mails_of_call(recent.id).at(0).id, {.sent = true},
                             clock_.now());

  EXPECT_EQ(mail().purge_settled_mail(cutoff).deleted, 2u);

  EXPECT_TRUE(mail().mails_of_call(sent.id).empty());
  EXPECT_TRUE(mail().mails_of_call(dead.id).empty());
  ASSERT_EQ(mail().mails_of_call(pending.id).size(), 1u);
  EXPECT_EQ(mail().mails_of_call(pending.id)[0].state, MailState::pending);
  EXPECT_EQ(mail().mails_of_call(recent.id).size(), 1u);
  EXPECT_EQ(mail().purge_settled_mail(cutoff).deleted, 0u);
}

TEST_F(SqlMailStoreTest, ErasingTheCallerTakesTheBodyAndStopsThePendingMail) {
  const auto call = unanswered_call("c1");
  store_->calls().erase_caller(partner_, "+46701234567");
  const auto stored = mail().mails_of_call(call.id).at(0);
  EXPECT_EQ(stored.state, MailState::dead);
  EXPECT_TRUE(stored.body.empty());
  EXPECT_TRUE(mail().claim_mails(clock_.now(), seconds(65), 10).empty());
}

TEST_F(SqlMailStoreTest, TheVoicemailMailIsQueuedOnceWithItsLink) {
  source_.notify_on_new_voicemail = 1;
  store_->sources().update_source(source_);
  const auto call = store_->calls().record_call(inbound("vm"));
  store_->calls().apply_event("vm", event(CallEventType::voicemail, clock_.now()));
  EXPECT_TRUE(mail().queue_voicemail_mail(call.id, "https://cs.example/v/abc?sig=1"));
  EXPECT_FALSE(mail().queue_voicemail_mail(call.id, "https://cs.example/v/abc?sig=2"));
  const auto mails = mail().mails_of_call(call.id);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].kind, NotificationKind::voicemail);
  EXPECT_NE(mails[0].body.find("https://cs.example/v/abc?sig=1"), std::string::npos);
  EXPECT_THROW(mail().queue_voicemail_mail(call.id + 1000, "x"), NotFoundError);
}

TEST_F(SqlMailStoreTest, TwoNodesClaimingAtOnceNeverShareAMail) {
  // Two handles on one database, as two nodes have, claiming side by side until nothing is
  // due: each mail goes to exactly one of them (PostgreSQL: FOR UPDATE SKIP LOCKED).
  constexpr int kMails = 20;
  for (int i = 0; i < kMails; ++i) unanswered_call("c" + std::to_string(i));
  auto other = open_store(database_.location(), clock_);
  std::vector<Id> claimed[2];
  const auto claim_all = [this](Store& store, std::vector<Id>& out) {
    while (true) {
      const auto mails = store.mail().claim_mails(clock_.now(), seconds(65), 1);
      if (mails.empty()) return;
      out.push_back(mails[0].id);
    }
  };
  std::thread first([&] { claim_all(*store_, claimed[0]); });
  std::thread second([&] { claim_all(*other, claimed[1]); });
  first.join();
  second.join();
  std::set<Id> seen;
  for (const auto& ids : claimed) {
    for (const Id id : ids) EXPECT_TRUE(seen.insert(id).second) << "mail " << id << " twice";
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMails));
}

}  // namespace
}  // namespace callsight
