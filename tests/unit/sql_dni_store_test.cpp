// The dni store family on the backend the fixture picks (SQLite, or PostgreSQL with
// CALLSIGHT_TEST_BACKEND=postgres): pools, their numbers, allocation, heartbeats, history,
// signatures and pool usage.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "core/dni/attribution.hpp"
#include "store/dni_store.hpp"
#include "store/number_store.hpp"
#include "store/sql/sql_database.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class SqlDniStoreTest : public SqlStoreFixture {
 protected:
  SqlDniStoreTest() {
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "c1");
  }

  DniStore& dni() { return store_->dni(); }

  Source pool_source(Id customer_id, const std::string& name = "web visitors") {
    Source s;
    s.partner_id = partner_;
    s.customer_id = customer_id;
    s.name = name;
    s.media = "web";
    s.answering_number = "+46890510";
    s.lifecycle.activation = clock_.now();
    return s;
  }

  DniPoolSettings settings() {
    DniPoolSettings s;
    s.is_default = true;
    s.match_rules = {
        {.kind = dni::RuleKind::utm_exact, .utm_field = dni::UtmField::source, .value = "google"}};
    s.timing = {.lease = minutes(30), .grace = minutes(10), .cooldown = minutes(5)};
    s.fallback_number = "+46890000";
    s.numbers_to_replace = {"+46 8 123 45"};
    s.allowed_origins = {"https://shop.example"};
    return s;
  }

  // A pool of the fixture's customer holding `numbers`, added to the inventory first.
  DniPool pool_with(const std::vector<std::string>& numbers) {
    store_->numbers().add_numbers(numbers, std::nullopt);
    const auto pool = dni().create_pool(pool_source(customer_), settings());
    dni().add_pool_numbers(partner_, pool.source.id, {}, static_cast<int>(numbers.size()));
    return *dni().find_pool(partner_, pool.source.id);
  }

  DniNumberAnswer ask(Id pool_id, std::optional<std::string> session = std::nullopt) {
    DniNumberRequest request;
    request.partner_id = partner_;
    request.pool_id = pool_id;
    request.session_id = std::move(session);
    request.consent = true;
    request.visit = dni::read_visit("https://shop.example/tv?utm_source=google&gclid=abc&x=1",
                                    "https://www.google.com/", "GA1.2.123.456");
    request.user_agent = "Mozilla/5.0";
    request.ip_truncated = "203.0.113.0";
    return dni().request_number(request);
  }

  // Another partner's customer with a pool of one number of its own, and a visit to it.
  struct OtherPartnersVisit {
    Id partner_id = 0;
    DniNumberAnswer answer;
  };
  OtherPartnersVisit other_partners_visit(const std::string& number) {
    const auto other_partner = make_partner("other");
    store_->numbers().add_numbers({number}, std::nullopt);
    auto source = pool_source(make_customer(other_partner, "o1"));
    source.partner_id = other_partner;
    const auto pool = dni().create_pool(source, settings(), {}, 1);
    DniNumberRequest request;
    request.partner_id = other_partner;
    request.pool_id = pool.source.id;
    request.consent = true;
    return {other_partner, dni().request_number(request)};
  }

  Id partner_ = 0;
  Id customer_ = 0;
};

TEST_F(SqlDniStoreTest, CreatedPoolIsADynamicSourceWithItsSettings) {
  const auto pool = dni().create_pool(pool_source(customer_), settings());
  const auto found = dni().find_pool(partner_, pool.source.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->source.name, "web visitors");
  EXPECT_EQ(found->source.media, "web");
  EXPECT_EQ(found->source.tracking_number, "");
  EXPECT_EQ(found->settings.match_rules.size(), 1u);
  EXPECT_EQ(found->settings.match_rules[0].kind, dni::RuleKind::utm_exact);
  EXPECT_EQ(found->settings.match_rules[0].value, "google");
  EXPECT_EQ(found->settings.timing.grace, minutes(10));
  EXPECT_EQ(found->settings.fallback_number, "+46890000");
  EXPECT_EQ(found->settings.numbers_to_replace, std::vector<std::string>{"+46 8 123 45"});
  EXPECT_EQ(found->settings.allowed_origins, std::vector<std::string>{"https://shop.example"});
  EXPECT_TRUE(found->settings.is_default);
  EXPECT_EQ(found->source.answering_number, "+46890510");
}

TEST_F(SqlDniStoreTest, SourcesSeeNoPool) {
  const auto pool = dni().create_pool(pool_source(customer_), settings());
  EXPECT_FALSE(store_->sources().find_source(partner_, pool.source.id));
  EXPECT_EQ(store_->sources().list_sources(partner_, {}, {}).total, 0);
  SourceFilter by_id;
  by_id.source_id = pool.source.id;
  EXPECT_EQ(store_->sources().list_sources(partner_, by_id, {}).total, 0);
  EXPECT_FALSE(store_->sources().change_source(partner_, pool.source.id, [](auto& s, auto&) {
    s.name = "renamed";
    return true;
  }));
  EXPECT_EQ(dni().find_pool(partner_, pool.source.id)->source.name, "web visitors");
}

TEST_F(SqlDniStoreTest, AnotherPartnersCustomerAndPoolAreNotFound) {
  const Id other = make_partner("other");
  const Id others_customer = make_customer(other, "c9");
  EXPECT_THROW(dni().create_pool(pool_source(others_customer), settings()), NotFoundError);
  EXPECT_THROW(dni().list_pools(partner_, others_customer), NotFoundError);
  const auto pool = dni().create_pool(pool_source(customer_), settings());
  EXPECT_FALSE(dni().find_pool(other, pool.source.id));
  EXPECT_THROW(dni().add_pool_numbers(other, pool.source.id, {}, 1), NotFoundError);
  EXPECT_FALSE(dni().change_pool(other, pool.source.id, [](auto&, auto&) { return true; }));
  DniNumberRequest request;
  request.partner_id = other;
  request.pool_id = pool.source.id;
  EXPECT_THROW(dni().request_number(request), NotFoundError);
  EXPECT_EQ(dni().list_pools(partner_, customer_).size(), 1u);
}

TEST_F(SqlDniStoreTest, ASiteIsFoundByItsCustomersUuidAcrossPartners) {
  const Id other = make_partner("other");
  const Id others_customer = make_customer(other, "c9");
  const auto site = dni().find_site("uuid-c9");
  ASSERT_TRUE(site);
  EXPECT_EQ(site->partner_id, other);
  EXPECT_EQ(site->customer_id, others_customer);
  EXPECT_EQ(site->country, "SE");
  EXPECT_TRUE(site->pools.empty());
  const auto pool = dni().create_pool(pool_source(customer_), settings());
  const auto own = dni().find_site("uuid-c1");
  EXPECT_EQ(own->customer_id, customer_);
  ASSERT_EQ(own->pools.size(), 1u);
  EXPECT_EQ(own->pools[0].id, pool.source.id);
  EXPECT_EQ(own->pools[0].settings.allowed_origins, settings().allowed_origins);
  EXPECT_EQ(own->pools[0].settings.timing.lease, settings().timing.lease);
  EXPECT_TRUE(own->pools[0].rules().is_default);
  EXPECT_FALSE(dni().find_site("uuid-none"));
  EXPECT_FALSE(dni().find_site(""));
}

TEST_F(SqlDniStoreTest, ChangePoolWritesTheChangedSettingsAndRoutingTogether) {
  const auto pool = dni().create_pool(pool_source(customer_), settings());
  const auto changed = dni().change_pool(partner_, pool.source.id, [](auto& p, auto&) {
    p.settings.timing.lease = minutes(20);
    p.settings.allowed_origins.push_back("https://www.shop.example");
    p.source.answering_number = "+46890999";
    return true;
  });
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->source.answering_number, "+46890999");
  const auto stored = dni().find_pool(partner_, pool.source.id);
  EXPECT_EQ(stored->settings.timing.lease, minutes(20));
  EXPECT_EQ(stored->settings.timing.grace, minutes(10));
  EXPECT_EQ(stored->settings.allowed_origins.size(), 2u);
  EXPECT_EQ(stored->settings.fallback_number, "+46890000");
  EXPECT_EQ(stored->source.answering_number, "+46890999");
  EXPECT_EQ(stored->source.name, pool.source.name);
}

// A change refused half-way (a rule throws after both halves were edited) writes neither.
TEST_F(SqlDniStoreTest, ARefusedPoolChangeWritesNothing) {
  const auto pool = dni().create_pool(pool_source(customer_), settings());
  EXPECT_THROW(dni().change_pool(partner_, pool.source.id,
                                 [](auto& p, auto&) -> bool {
                                   p.settings.timing.lease = minutes(20);
                                   p.source.answering_number = "+46890999";
                                   throw ConflictError("archived", "pool_id", "refused");
                                 }),
               ConflictError);
  const auto stored = dni().find_pool(partner_, pool.source.id);
  EXPECT_EQ(stored->settings.timing.lease, pool.settings.timing.lease);
  EXPECT_EQ(stored->source.answering_number, pool.source.answering_number);
}

TEST_F(SqlDniStoreTest, NumbersComeFromTheInventoryAndServeOneHolder) {
  store_->numbers().add_numbers({"+46101", "+46102", "+46103"}, std::nullopt);
  const auto pool = dni().create_pool(pool_source(customer_), settings());
  const auto added = dni().add_pool_numbers(partner_, pool.source.id, {}, 2);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].number, "+46101");
  EXPECT_EQ(added[1].number, "+46102");
  // The inventory counts them as held by the pool; a static source gets the third.
  const auto allocated = store_->numbers().list_numbers(NumberState::allocated, partner_);
  ASSERT_EQ(allocated.size(), 2u);
  EXPECT_EQ(allocated[0].source_id, pool.source.id);
  EXPECT_EQ(make_source(partner_, customer_, "+46103").tracking_number, "+46103");
  NumberRequest taken;
  taken.tracking_number = "+46101";
  EXPECT_THROW(make_source(partner_, customer_, "+46101"), ConflictError);
  EXPECT_THROW(dni().add_pool_numbers(partner_, pool.source.id, taken, 1), ConflictError);
  const auto second = dni().create_pool(pool_source(customer_, "second"), settings());
  EXPECT_THROW(dni().add_pool_numbers(partner_, second.source.id, taken, 1), ConflictError);
  EXPECT_THROW(store_->numbers().remove_number("+46101"), ConflictError);
  // All or nothing: asking for more than are free adds none.
  store_->numbers().add_numbers({"+46104"}, std::nullopt);
  EXPECT_THROW(dni().add_pool_numbers(partner_, second.source.id, {}, 2), ConflictError);
  EXPECT_TRUE(dni().find_pool(partner_, second.source.id)->numbers.empty());
}

TEST_F(SqlDniStoreTest, CreateTakesItsNumbersOrWritesNothing) {
  store_->numbers().add_numbers({"+46101", "+46102", "+46103"}, std::nullopt);
  const auto pool = dni().create_pool(pool_source(customer_), settings(), {}, 2);
  ASSERT_EQ(pool.numbers.size(), 2u);
  EXPECT_EQ(pool.numbers[0].number, "+46101");
  // One free number left: a create asking for two leaves neither a pool nor a claimed number.
  EXPECT_THROW(dni().create_pool(pool_source(customer_, "second"), settings(), {}, 2),
               ConflictError);
  EXPECT_EQ(dni().list_pools(partner_, customer_).size(), 1u);
  EXPECT_EQ(store_->numbers().list_numbers(NumberState::allocated, partner_).size(), 2u);
  // A check_references refusal writes nothing either.
  EXPECT_THROW(dni().create_pool(pool_source(customer_, "third"), settings(), {}, 1,
                                 [](ChangeLookups&) { throw ConflictError("x", "y", "refused"); }),
               ConflictError);
  EXPECT_EQ(dni().list_pools(partner_, customer_).size(), 1u);
}

TEST_F(SqlDniStoreTest, RemovedNumberIsQuarantinedThenFreeAgain) {
  const auto pool = pool_with({"+46101", "+46102"});
  const auto removed = dni().remove_pool_number(partner_, pool.source.id, "+46101");
  EXPECT_EQ(removed.removed_at, clock_.now());
  EXPECT_EQ(removed.quarantined_until, clock_.now() + std::chrono::days(60));
  EXPECT_THROW(dni().remove_pool_number(partner_, pool.source.id, "+46101"), NotFoundError);
  const auto quarantined = store_->numbers().list_numbers(NumberState::quarantined, partner_);
  ASSERT_EQ(quarantined.size(), 1u);
  EXPECT_EQ(quarantined[0].number, "+46101");
  // Never handed out again while quarantined: two sessions share one number and the fallback.
  EXPECT_EQ(ask(pool.source.id).number, "+46102");
  EXPECT_EQ(ask(pool.source.id).verdict, dni::Pick::exhausted);
  EXPECT_THROW(make_source(partner_, customer_, "+46101"), ConflictError);
  clock_.advance(std::chrono::days(60));
  EXPECT_EQ(make_source(partner_, customer_, "+46101").tracking_number, "+46101");
  // Its history stays with the pool it left.
  EXPECT_TRUE(dni().find_pool(partner_, pool.source.id)->numbers.size() == 1u);
}

TEST_F(SqlDniStoreTest, SameSessionKeepsItsNumberOthersGetOthersThenTheFallback) {
  const auto pool = pool_with({"+46101", "+46102"});
  const auto first = ask(pool.source.id);
  EXPECT_EQ(first.verdict, dni::Pick::assigned);
  EXPECT_EQ(first.number, "+46101");
  ASSERT_TRUE(first.visitor_id);
  clock_.advance(minutes(5));
  const auto reload = ask(pool.source.id, first.session_id);
  EXPECT_EQ(reload.verdict, dni::Pick::kept);
  EXPECT_EQ(reload.number, first.number);
  EXPECT_EQ(reload.session_id, first.session_id);
  const auto second = ask(pool.source.id);
  EXPECT_NE(second.session_id, first.session_id);
  EXPECT_EQ(second.number, "+46102");
  const auto third = ask(pool.source.id);
  EXPECT_EQ(third.verdict, dni::Pick::exhausted);
  EXPECT_EQ(third.number, "+46890000");
  // An unknown session id is not taken over: a new session is made.
  EXPECT_NE(ask(pool.source.id, "not-a-session").session_id, "not-a-session");
}

TEST_F(SqlDniStoreTest, ADeletedPoolHandsOutNothingAndItsNumbersAreQuarantined) {
  const auto pool = pool_with({"+46101"});
  dni().change_pool(partner_, pool.source.id, [&](auto& p, auto&) {
    p.source.lifecycle.deleted_at = clock_.now();
    return true;
  });
  try {
    ask(pool.source.id);
    FAIL() << "a deleted pool handed out a number";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "pool_not_active");
  }
  const auto quarantined = store_->numbers().list_numbers(NumberState::quarantined, partner_);
  ASSERT_EQ(quarantined.size(), 1u);
  EXPECT_EQ(quarantined[0].number, "+46101");
}

TEST_F(SqlDniStoreTest, NumberGoesToAnotherSessionOnlyAfterLeaseGraceAndCooldown) {
  const auto pool = pool_with({"+46101"});
  const auto first = ask(pool.source.id);
  clock_.advance(minutes(30 + 10 + 5) - seconds(1));
  EXPECT_EQ(ask(pool.source.id).verdict, dni::Pick::exhausted);
  clock_.advance(seconds(1));
  const auto next = ask(pool.source.id);
  EXPECT_EQ(next.verdict, dni::Pick::assigned);
  EXPECT_EQ(next.number, first.number);
  EXPECT_NE(next.session_id, first.session_id);
}

TEST_F(SqlDniStoreTest, HeartbeatExtendsOnlyALiveLease) {
  const auto pool = pool_with({"+46101"});
  const auto first = ask(pool.source.id);
  clock_.advance(minutes(29));
  EXPECT_TRUE(dni().heartbeat(partner_, pool.source.id, first.session_id));
  clock_.advance(minutes(29));  // 58 min after the hand-out, 29 after the heartbeat
  EXPECT_EQ(ask(pool.source.id).verdict, dni::Pick::exhausted);
  EXPECT_TRUE(dni().heartbeat(partner_, pool.source.id, first.session_id));
  clock_.advance(minutes(31));
  EXPECT_FALSE(dni().heartbeat(partner_, pool.source.id, first.session_id));  // lease over
  EXPECT_FALSE(dni().heartbeat(make_partner("other"), pool.source.id, first.session_id));
  EXPECT_FALSE(dni().heartbeat(partner_, pool.source.id, "unknown"));
}

TEST_F(SqlDniStoreTest, ANumberRemovedFromThePoolIsKeptAliveNoMore) {
  const auto pool = pool_with({"+46101", "+46102"});
  const auto first = ask(pool.source.id);
  ASSERT_EQ(first.number, "+46101");
  dni().remove_pool_number(partner_, pool.source.id, first.number);
  // The page asks again rather than go on showing the removed number.
  EXPECT_FALSE(dni().heartbeat(partner_, pool.source.id, first.session_id));
  EXPECT_FALSE(dni().release(partner_, pool.source.id, first.session_id));
  const auto again = ask(pool.source.id, first.session_id);
  EXPECT_EQ(again.verdict, dni::Pick::assigned);
  EXPECT_EQ(again.number, "+46102");
  EXPECT_TRUE(dni().heartbeat(partner_, pool.source.id, first.session_id));
}

TEST_F(SqlDniStoreTest, ReleaseEndsTheLeaseAndGraceAndCooldownFollow) {
  const auto pool = pool_with({"+46101"});
  const auto first = ask(pool.source.id);
  EXPECT_TRUE(dni().release(partner_, pool.source.id, first.session_id));
  EXPECT_FALSE(dni().release(partner_, pool.source.id, first.session_id));
  EXPECT_FALSE(dni().heartbeat(partner_, pool.source.id, first.session_id));
  clock_.advance(minutes(15) - seconds(1));
  EXPECT_EQ(ask(pool.source.id).verdict, dni::Pick::exhausted);
  clock_.advance(seconds(1));
  EXPECT_EQ(ask(pool.source.id).verdict, dni::Pick::assigned);
}

// The store picks from an index of when each number is free, which heartbeats do not update:
// the number free the longest must still be the one handed out.
TEST_F(SqlDniStoreTest, AHeartbeatsLaterHoldDoesNotPutItsNumberFirst) {
  const auto pool = pool_with({"+46101", "+46102"});
  const auto early = ask(pool.source.id);
  EXPECT_EQ(early.number, "+46101");
  clock_.advance(minutes(1));
  EXPECT_EQ(ask(pool.source.id).number, "+46102");
  clock_.advance(minutes(28));
  EXPECT_TRUE(dni().heartbeat(partner_, pool.source.id, early.session_id));
  // +46102 is free since 46 min, +46101 since 74 min (29 + 45).
  clock_.advance(minutes(51));
  const auto next = ask(pool.source.id);
  EXPECT_EQ(next.verdict, dni::Pick::assigned);
  EXPECT_EQ(next.number, "+46102");
  EXPECT_EQ(ask(pool.source.id).number, "+46101");
}

TEST_F(SqlDniStoreTest, AShorterLeaseFreesHeldNumbersSooner) {
  const auto pool = pool_with({"+46101"});
  ask(pool.source.id);
  dni().change_pool(partner_, pool.source.id, [](auto& p, auto&) {
    p.settings.timing.lease = minutes(10);
    return true;
  });
  clock_.advance(minutes(10 + 10 + 5) - seconds(1));
  EXPECT_EQ(ask(pool.source.id).verdict, dni::Pick::exhausted);
  clock_.advance(seconds(1));
  EXPECT_EQ(ask(pool.source.id).verdict, dni::Pick::assigned);
}

TEST_F(SqlDniStoreTest, SessionKeepsWhatTheVisitSaid) {
  const auto pool = pool_with({"+46101"});
  const auto answer = ask(pool.source.id);
  const auto session = dni().find_session(partner_, answer.session_id);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->visitor_id, answer.visitor_id);
  EXPECT_EQ(session->pool_id, pool.source.id);
  EXPECT_EQ(session->landing_url, "https://shop.example/tv?utm_source=google&gclid=abc&x=1");
  EXPECT_EQ(session->referrer, "https://www.google.com/");
  EXPECT_EQ(session->utm.source, "google");
  EXPECT_EQ(session->click_ids.gclid, "abc");
  EXPECT_EQ(session->ga_client_id, "123.456");
  EXPECT_EQ(session->ip_truncated, "203.0.113.0");
  ASSERT_EQ(session->custom_parameters.size(), 1u);
  EXPECT_EQ(session->custom_parameters[0].first, "x");
  EXPECT_TRUE(session->consent);
  EXPECT_FALSE(dni().find_session(make_partner("other"), answer.session_id));
}

TEST_F(SqlDniStoreTest, ThePartnersNumberCapTurnsNewHandOutsIntoTheFallback) {
  auto partner = *store_->partners().find_partner(partner_);
  partner.dni_number_cap = 1;
  store_->partners().update_partner(partner);
  const auto pool = pool_with({"+46101", "+46102"});
  const auto first = ask(pool.source.id);
  EXPECT_EQ(first.verdict, dni::Pick::assigned);
  const auto second = ask(pool.source.id);
  EXPECT_EQ(second.verdict, dni::Pick::capped);
  EXPECT_EQ(second.number, "+46890000");
  // The holder keeps its number; once its lease ends the place under the cap is free again.
  EXPECT_EQ(ask(pool.source.id, first.session_id).verdict, dni::Pick::kept);
  clock_.advance(minutes(31));
  EXPECT_EQ(ask(pool.source.id, second.session_id).verdict, dni::Pick::assigned);
}

TEST_F(SqlDniStoreTest, APartnerWhosePurgeFailsGoesToTheHandlerAndTheOthersArePurged) {
  // A trigger refuses one partner's deletes, as a damaged row or a constraint would.
  if (testing_postgres()) GTEST_SKIP() << "refuses the delete with an SQLite trigger";
  const auto pool = pool_with({"+46101"});
  const auto refused = ask(pool.source.id);
  const auto others = other_partners_visit("+46201");
  const auto raw = database_.open_raw();
  {
    SqlTransaction tx(*raw, TxMode::write);
    raw->prepare(
           "CREATE TRIGGER refuse_purge BEFORE DELETE ON dni_sessions WHEN "
           "OLD.pool_source_id = " +
           std::to_string(pool.source.id) + " BEGIN SELECT RAISE(ABORT, 'refused'); END")
        .run();
    tx.commit();
  }
  clock_.advance(std::chrono::days(91));
  std::vector<Id> failed;
  const auto handler = [&failed](Id id, const std::exception&) { failed.push_back(id); };
  EXPECT_EQ(dni().purge_expired_visits(handler), 1u);
  EXPECT_EQ(failed, std::vector<Id>{partner_});
  EXPECT_TRUE(dni().find_session(partner_, refused.session_id));
  EXPECT_FALSE(dni().find_session(others.partner_id, others.answer.session_id));
  {
    SqlTransaction tx(*raw, TxMode::write);
    raw->prepare("DROP TRIGGER refuse_purge").run();
    tx.commit();
  }
  EXPECT_EQ(dni().purge_expired_visits(handler), 1u);  // tried again: purged now
  EXPECT_FALSE(dni().find_session(partner_, refused.session_id));
  EXPECT_EQ(failed.size(), 1u);
}

TEST_F(SqlDniStoreTest, VisitsPastThePartnersRetentionArePurgedOthersKept) {
  const auto pool = pool_with({"+46101", "+46102"});
  const auto old = ask(pool.source.id);
  const auto others = other_partners_visit("+46201");
  auto other = *store_->partners().find_partner(others.partner_id);
  other.dni_retention_days = 365;
  store_->partners().update_partner(other);
  clock_.advance(std::chrono::days(89));
  const auto recent = ask(pool.source.id);
  EXPECT_EQ(dni().purge_expired_visits(), 0u);
  clock_.advance(std::chrono::days(2));  // `old` was last seen 91 days ago, past the default 90
  EXPECT_EQ(dni().purge_expired_visits(), 1u);
  EXPECT_FALSE(dni().find_session(partner_, old.session_id));
  EXPECT_TRUE(dni().find_session(partner_, recent.session_id));
  EXPECT_TRUE(dni().find_session(others.partner_id, others.answer.session_id));
  // The purged hand-out is gone from the number's history and from the pool's usage.
  EXPECT_FALSE(dni().number_history(old.number, clock_.now() - std::chrono::days(90)));
  const auto usage = dni().pool_usage(partner_, pool.source.id,
                                      clock_.now() - std::chrono::days(365), clock_.now());
  EXPECT_EQ(usage.held.size(), 1u);
  // Its number is free: a new visitor can be given it.
  EXPECT_EQ(ask(pool.source.id).verdict, dni::Pick::assigned);
}

TEST_F(SqlDniStoreTest, WithoutConsentNoVisitorIsKept) {
  const auto pool = pool_with({"+46101"});
  DniNumberRequest request;
  request.partner_id = partner_;
  request.pool_id = pool.source.id;
  request.visitor_id = "cookie-from-before";
  const auto answer = dni().request_number(request);
  EXPECT_EQ(answer.verdict, dni::Pick::assigned);
  EXPECT_FALSE(answer.visitor_id);
  const auto session = dni().find_session(partner_, answer.session_id);
  EXPECT_FALSE(session->visitor_id);
  EXPECT_FALSE(session->consent);
}

// A reload and a heartbeat within the second of the last sign of life write nothing (times are
// seconds), and still answer as a write would: kept, leased. Consent given in that second is
// a change, and is written.
TEST_F(SqlDniStoreTest, SignsOfLifeWithinTheSecondKeepTheLeaseAndConsentStillCounts) {
  const auto pool = pool_with({"+46101", "+46102"});
  DniNumberRequest request;
  request.partner_id = partner_;
  request.pool_id = pool.source.id;
  const auto first = dni().request_number(request);
  ASSERT_EQ(first.verdict, dni::Pick::assigned);
  request.session_id = first.session_id;
  const auto reload = dni().request_number(request);
  EXPECT_EQ(reload.verdict, dni::Pick::kept);
  EXPECT_EQ(reload.number, first.number);
  EXPECT_EQ(reload.assignment_id, first.assignment_id);
  EXPECT_TRUE(dni().heartbeat(partner_, pool.source.id, first.session_id));
  request.consent = true;
  const auto consented = dni().request_number(request);
  EXPECT_EQ(consented.verdict, dni::Pick::kept);
  ASSERT_TRUE(consented.visitor_id);
  const auto session = dni().find_session(partner_, first.session_id);
  EXPECT_TRUE(session->consent);
  EXPECT_EQ(session->visitor_id, consented.visitor_id);
  // The lease runs from the hand-out: 30 minutes on, neither keeps it.
  clock_.advance(minutes(30));
  EXPECT_FALSE(dni().heartbeat(partner_, pool.source.id, first.session_id));
  EXPECT_EQ(dni().request_number(request).verdict, dni::Pick::assigned);
}

TEST_F(SqlDniStoreTest, HistoryOfANumberExplainsACall) {
  const auto pool = pool_with({"+46101"});
  const auto first = ask(pool.source.id);
  clock_.advance(minutes(10));
  dni().heartbeat(partner_, pool.source.id, first.session_id);
  const auto called = clock_.now() + minutes(5);
  EXPECT_FALSE(dni().number_history("+46101", clock_.now() - minutes(11)));
  const auto history = dni().number_history("+46101", called);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->pool_id, pool.source.id);
  EXPECT_EQ(history->partner_id, partner_);
  EXPECT_EQ(history->customer_id, customer_);
  ASSERT_EQ(history->assignments.size(), 1u);
  EXPECT_EQ(history->assignments[0].session_id, first.session_id);
  EXPECT_EQ(history->assignments[0].last_seen_at, clock_.now());
  const auto verdict = dni::attribute_call(history->assignments, history->timing, called);
  ASSERT_TRUE(verdict.matched);
  EXPECT_EQ(verdict.matched->session_id, first.session_id);
  const auto late = clock_.now() + minutes(41);
  EXPECT_EQ(dni::attribute_call(history->assignments, history->timing, late).no_visit,
            dni::NoVisit::lease_and_grace_over);
}

TEST_F(SqlDniStoreTest, ASignatureIsRefusedWhileRemembered) {
  const auto expires = clock_.now() + seconds(600);
  EXPECT_TRUE(dni().remember_signature(partner_, "sig-1", expires));
  EXPECT_FALSE(dni().remember_signature(partner_, "sig-1", expires));
  // Another node, the same database.
  const auto second = open_store(database_.location(), clock_);
  EXPECT_FALSE(second->dni().remember_signature(partner_, "sig-1", expires));
  EXPECT_TRUE(dni().remember_signature(make_partner("other"), "sig-1", expires));
  clock_.advance(seconds(600));
  EXPECT_TRUE(dni().remember_signature(partner_, "sig-1", clock_.now() + seconds(600)));
}

TEST_F(SqlDniStoreTest, PoolUsageGivesHeldIntervalsAndExhaustions) {
  const auto pool = pool_with({"+46101"});
  const auto start = clock_.now();
  ask(pool.source.id);
  ask(pool.source.id);
  ask(pool.source.id);
  const auto usage = dni().pool_usage(partner_, pool.source.id, start, start + minutes(1));
  EXPECT_EQ(usage.sessions, 3u);
  ASSERT_EQ(usage.held.size(), 1u);
  EXPECT_EQ(usage.held[0].held_until, start + minutes(45));
  EXPECT_EQ(usage.exhaustion_events, 2u);
  EXPECT_EQ(dni::pool_health(usage.held, usage.exhaustion_events).peak_held, 1u);
  EXPECT_THROW(dni().pool_usage(make_partner("other"), pool.source.id, start, start),
               NotFoundError);
}

// Many threads (each its own connection on PostgreSQL, where each number's row lock is what
// keeps them apart) ask for numbers for distinct sessions from a pool too small for all of
// them: every number goes out once, and nobody is shown the fallback while one is free.
TEST_F(SqlDniStoreTest, ConcurrentAllocationsNeverShareALiveNumber) {
  std::vector<std::string> numbers;
  for (int i = 0; i < 12; ++i) numbers.push_back("+4610" + std::to_string(10 + i));
  const auto pool = pool_with(numbers);
  const auto second_store = open_store(database_.location(), clock_);  // a second node
  constexpr int kThreads = 8;
  constexpr int kEach = 6;
  std::vector<std::vector<DniNumberAnswer>> answers(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    DniStore& store = t % 2 == 0 ? store_->dni() : second_store->dni();
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        DniNumberRequest request;
        request.partner_id = partner_;
        request.pool_id = pool.source.id;
        try {
          answers[t].push_back(store.request_number(request));
        } catch (const StoreError&) {
          ++errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<std::string> given;
  int exhausted = 0;
  for (const auto& per_thread : answers) {
    for (const auto& answer : per_thread) {
      if (answer.verdict == dni::Pick::exhausted) {
        ++exhausted;
        continue;
      }
      EXPECT_TRUE(given.insert(answer.number).second) << answer.number << " given twice";
    }
  }
  EXPECT_EQ(given.size(), numbers.size());
  EXPECT_EQ(exhausted, kThreads * kEach - static_cast<int>(numbers.size()));
  // The rows say the same: the clock stood still, so each number has one hand-out.
  auto raw = database_.open_raw();
  SqlTransaction tx(*raw, TxMode::read);
  auto rows = raw->prepare(
      "SELECT number, COUNT(*) FROM dni_assignments WHERE shown_as_fallback = 0 GROUP BY number");
  std::map<std::string, std::int64_t> per_number;
  while (rows.step()) per_number[rows.text(0)] = rows.int64(1);
  EXPECT_EQ(per_number.size(), numbers.size());
  for (const auto& [number, count] : per_number) EXPECT_EQ(count, 1) << number;
}

// The same with the clock running, so numbers come back and go out again while other threads
// ask: each number's hand-outs, in the order they were written, never overlap its hold.
TEST_F(SqlDniStoreTest, ConcurrentAllocationsWithTheClockRunningNeverOverlapAHold) {
  const auto pool = pool_with({"+46101", "+46102", "+46103", "+46104"});
  dni().change_pool(partner_, pool.source.id, [](auto& p, auto&) {
    p.settings.timing = {.lease = seconds(60), .grace = seconds(30), .cooldown = seconds(30)};
    return true;
  });
  const auto second_store = open_store(database_.location(), clock_);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    DniStore& store = t % 2 == 0 ? store_->dni() : second_store->dni();
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        DniNumberRequest request;
        request.partner_id = partner_;
        request.pool_id = pool.source.id;
        try {
          store.request_number(request);
        } catch (const StoreError&) {
          ++errors;
        }
        clock_.advance(seconds(10));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  auto raw = database_.open_raw();
  SqlTransaction tx(*raw, TxMode::read);
  auto rows = raw->prepare(
      "SELECT number, assigned_at FROM dni_assignments WHERE shown_as_fallback = 0"
      " ORDER BY number, id");
  std::map<std::string, std::vector<std::int64_t>> handed_out;
  while (rows.step()) handed_out[rows.text(0)].push_back(rows.int64(1));
  std::size_t reused = 0;
  for (const auto& [number, times] : handed_out) {
    for (std::size_t i = 1; i < times.size(); ++i) {
      EXPECT_GE(times[i], times[i - 1] + 120) << number << " handed out while held";
    }
    if (times.size() > 1) ++reused;
  }
  EXPECT_GT(reused, 0u) << "no number came back: the check above proved nothing";
}

// One session's heartbeats and reloads from many threads at once (its open tabs), most of them
// within one second: every one is answered as leased or kept, none fails. On SQLite they are
// members of one group commit, taking turns on one connection and its cached statements.
TEST_F(SqlDniStoreTest, ConcurrentHeartbeatsAndReloadsOfOneSessionAreAllAccepted) {
  const auto pool = pool_with({"+46101"});
  const auto held = ask(pool.source.id);
  ASSERT_EQ(held.verdict, dni::Pick::assigned);
  std::atomic<int> refused{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        try {
          if (t % 2 == 0) {
            if (!dni().heartbeat(partner_, pool.source.id, held.session_id)) ++refused;
          } else if (ask(pool.source.id, held.session_id).verdict != dni::Pick::kept) {
            ++refused;
          }
        } catch (const std::exception&) {
          ++errors;
        }
        if (i == 10) clock_.advance(seconds(1));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(refused.load(), 0);
}

// The partner's cap under concurrent hand-outs on two nodes, in two pools at once: exactly
// `cap` numbers go out, every other visitor is shown the fallback, and each pool's peak of
// numbers held at once (pool health) is the number of its hand-outs, as they are. A visitor
// is told "capped" or, when every number still free was being considered by a hand-out in
// flight at that moment (on PostgreSQL it passes over locked numbers), "exhausted": the
// fallback either way, and one exhaustion event in pool health either way.
TEST_F(SqlDniStoreTest, ConcurrentAllocationsInTwoPoolsNeverPassThePartnersCap) {
  constexpr int kCap = 5;
  auto partner = *store_->partners().find_partner(partner_);
  partner.dni_number_cap = kCap;
  store_->partners().update_partner(partner);
  std::vector<Id> pools;
  for (const auto* prefix : {"+46101", "+46102"}) {
    std::vector<std::string> numbers;
    for (int i = 0; i < 6; ++i) numbers.push_back(prefix + std::to_string(10 + i));
    store_->numbers().add_numbers(numbers, std::nullopt);
    auto settings_of_pool = settings();
    settings_of_pool.is_default = pools.empty();
    pools.push_back(dni()
                        .create_pool(pool_source(customer_, "pool " + std::string(prefix)),
                                     settings_of_pool, {}, 6)
                        .source.id);
  }
  const auto start = clock_.now();
  const auto second_store = open_store(database_.location(), clock_);  // a second node
  constexpr int kThreads = 8;
  std::vector<std::vector<DniNumberAnswer>> answers(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    DniStore& store = t % 2 == 0 ? store_->dni() : second_store->dni();
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        DniNumberRequest request;
        request.partner_id = partner_;
        request.pool_id = pools[(t / 2 + i) % 2];
        try {
          answers[t].push_back(store.request_number(request));
        } catch (const StoreError&) {
          ++errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<std::string> given;
  int fallbacks = 0;
  for (const auto& per_thread : answers) {
    for (const auto& answer : per_thread) {
      if (answer.verdict != dni::Pick::assigned) {
        EXPECT_EQ(answer.number, "+46890000");
        ++fallbacks;
        continue;
      }
      EXPECT_TRUE(given.insert(answer.number).second) << answer.number << " given twice";
    }
  }
  EXPECT_EQ(given.size(), static_cast<std::size_t>(kCap));
  EXPECT_EQ(fallbacks, kThreads * 4 - kCap);
  std::size_t peaks = 0;
  std::size_t exhaustions = 0;
  for (const Id pool : pools) {
    const auto usage = dni().pool_usage(partner_, pool, start, start + minutes(1));
    const auto health = dni::pool_health(usage.held, usage.exhaustion_events);
    EXPECT_EQ(health.peak_held, usage.held.size());
    peaks += health.peak_held;
    exhaustions += usage.exhaustion_events;
  }
  EXPECT_EQ(peaks, static_cast<std::size_t>(kCap));
  EXPECT_EQ(exhaustions, static_cast<std::size_t>(fallbacks));
}

}  // namespace
}  // namespace callsight
