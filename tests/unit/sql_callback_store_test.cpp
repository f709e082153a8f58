#include "store/sql/sql_callback_store.hpp"

#include <gtest/gtest.h>

#include "core/callback.hpp"
#include "core/time_format.hpp"
#include "store/customer_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

using std::chrono::days;
using std::chrono::seconds;

TEST(Callback, DefaultsFollowTheKaisaReference) {
  const auto now = at("2024-01-15 12:00:00");
  const auto c = new_callback(7, "+46701234567", "+46709876543", now);
  EXPECT_EQ(c.customer_id, 7);
  EXPECT_EQ(c.scheduled, now);             // "as soon as possible"
  EXPECT_EQ(c.caller_id, "+46701234567");  // the agent's number
  EXPECT_EQ(c.retries, 0);
  EXPECT_EQ(c.retry_interval, 300);
  EXPECT_EQ(c.call_recording, 0);
  EXPECT_FALSE(c.completed);
  EXPECT_EQ(c.attempts, 0);
  EXPECT_FALSE(c.cdr_id);
  EXPECT_FALSE(c.custom_dynamic);
}

class SqlCallbackStoreTest : public SqlStoreFixture {
 protected:
  Callback make_callback(Id partner_id, Id customer_id, TimePoint scheduled, int retries = 0) {
    auto c = new_callback(customer_id, "+46701234567", "+46709876543", scheduled);
    c.retries = retries;
    c.retry_interval = 60;
    return callbacks().create_callback(partner_id, c);
  }

  std::vector<Id> listed(Id partner_id, Id customer_id, TimePoint from, TimePoint to) {
    CallbackFilter filter;
    filter.customer_id = customer_id;
    filter.from = from;
    filter.to = to;
    std::vector<Id> ids;
    for (const auto& c : callbacks().list_callbacks(partner_id, filter, {}).items) {
      ids.push_back(c.id);
    }
    return ids;
  }

  std::vector<Id> due_ids(int limit = 10) {
    std::vector<Id> ids;
    for (const auto& c : callbacks().due_callbacks(clock_.now(), limit)) ids.push_back(c.id);
    return ids;
  }

  CallbackStore& callbacks() { return store_->callbacks(); }
};

TEST_F(SqlCallbackStoreTest, CreateStoresEveryFieldNotCompletedWithoutCdr) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  auto c = new_callback(customer, "+46701234567", "+46709876543", at("2024-01-16 08:30:00"));
  c.caller_id = "+4684000000";
  c.retries = 3;
  c.retry_interval = 120;
  c.custom_dynamic = R"({"lead":"42"})";
  c.call_recording = 1;
  c.completed = true;  // not the caller's to decide
  c.cdr_id = 99;
  const auto stored = callbacks().create_callback(partner, c);
  EXPECT_GT(stored.id, 0);
  EXPECT_EQ(stored.created, "2024-01-15 12:00:00");
  EXPECT_FALSE(stored.completed);
  EXPECT_FALSE(stored.cdr_id);

  CallbackFilter filter;
  filter.customer_id = customer;
  filter.from = at("2024-01-16 00:00:00");
  filter.to = at("2024-01-17 00:00:00");
  const auto page = callbacks().list_callbacks(partner, filter, {});
  ASSERT_EQ(page.items.size(), 1u);
  const auto& got = page.items[0];
  EXPECT_EQ(got.id, stored.id);
  EXPECT_EQ(got.customer_id, customer);
  EXPECT_EQ(got.agent_number, "+46701234567");
  EXPECT_EQ(got.requester_number, "+46709876543");
  EXPECT_EQ(got.caller_id, "+4684000000");
  EXPECT_EQ(got.scheduled, at("2024-01-16 08:30:00"));
  EXPECT_EQ(got.retries, 3);
  EXPECT_EQ(got.retry_interval, 120);
  EXPECT_EQ(got.custom_dynamic, R"({"lead":"42"})");
  EXPECT_EQ(got.call_recording, 1);
  EXPECT_FALSE(got.completed);
  EXPECT_FALSE(got.cdr_id);
  EXPECT_EQ(got.created, "2024-01-15 12:00:00");
}

TEST_F(SqlCallbackStoreTest, CreateForAnotherPartnersCustomerIsNotFound) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  const Id customer = make_customer(acme, "c1");
  EXPECT_THROW(make_callback(other, customer, clock_.now()), NotFoundError);
}

TEST_F(SqlCallbackStoreTest, ListIsTheInclusiveWindowOrderedByScheduled) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  const Id late = make_callback(partner, customer, at("2024-01-20 10:00:00")).id;
  const Id early = make_callback(partner, customer, at("2024-01-16 10:00:00")).id;
  const Id edge = make_callback(partner, customer, at("2024-01-22 00:00:00")).id;
  make_callback(partner, customer, at("2024-01-22 00:00:01"));
  make_callback(partner, customer, at("2024-01-15 23:59:59"));
  EXPECT_EQ(listed(partner, customer, at("2024-01-16 00:00:00"), at("2024-01-22 00:00:00")),
            (std::vector<Id>{early, late, edge}));
}

TEST_F(SqlCallbackStoreTest, ListShowsOnlyTheGivenCustomerOfTheGivenPartner) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  const Id mine = make_customer(acme, "c1");
  const Id sibling = make_customer(acme, "c2");
  const Id id = make_callback(acme, mine, at("2024-01-16 10:00:00")).id;
  make_callback(acme, sibling, at("2024-01-16 10:00:00"));
  const auto from = at("2024-01-15 00:00:00");
  const auto to = at("2024-01-23 00:00:00");
  EXPECT_EQ(listed(acme, mine, from, to), std::vector<Id>{id});
  EXPECT_TRUE(listed(other, mine, from, to).empty());
}

TEST_F(SqlCallbackStoreTest, DueCallbacksAreClaimedOncePerAttemptAcrossPartners) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  const Id now_id = make_callback(acme, make_customer(acme, "c1"), clock_.now()).id;
  const Id past_id = make_callback(other, make_customer(other, "c2"), clock_.now() - days(1)).id;
  make_callback(acme, make_customer(acme, "c3"), clock_.now() + seconds(1));

  const auto claimed = callbacks().due_callbacks(clock_.now(), 10);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, past_id);  // oldest first
  EXPECT_EQ(claimed[1].id, now_id);
  EXPECT_EQ(claimed[0].attempts, 1);
  EXPECT_TRUE(due_ids().empty()) << "a claimed attempt must not be handed out twice";
}

TEST_F(SqlCallbackStoreTest, DueCallbacksRespectTheLimit) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  for (int i = 0; i < 3; ++i) make_callback(partner, customer, clock_.now());
  EXPECT_EQ(due_ids(2).size(), 2u);
  EXPECT_EQ(due_ids(2).size(), 1u);
}

TEST_F(SqlCallbackStoreTest, UncompletedCallbackIsRetriedAfterItsIntervalUntilRetriesRunOut) {
  const Id partner = make_partner("acme");
  const Id id = make_callback(partner, make_customer(partner, "c1"), clock_.now(), 2).id;
  EXPECT_EQ(due_ids(), std::vector<Id>{id});  // attempt 1
  clock_.advance(seconds(59));
  EXPECT_TRUE(due_ids().empty());
  clock_.advance(seconds(1));
  const auto second = callbacks().due_callbacks(clock_.now(), 10);  // attempt 2
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempts, 2);
  clock_.advance(seconds(60));
  const auto last = callbacks().due_callbacks(clock_.now(), 10);  // attempt 3 = retries + 1
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].attempts, 3);
  clock_.advance(days(1));
  EXPECT_TRUE(due_ids().empty());
}

TEST_F(SqlCallbackStoreTest, CompletedCallbackIsNoLongerDueAndShowsItsCdr) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  const Id id = make_callback(partner, customer, clock_.now(), 5).id;
  ASSERT_EQ(due_ids(), std::vector<Id>{id});
  callbacks().complete_callback(id, 1234);
  clock_.advance(days(1));
  EXPECT_TRUE(due_ids().empty());
  CallbackFilter filter;
  filter.customer_id = customer;
  filter.from = clock_.now() - days(2);
  filter.to = clock_.now();
  const auto got = callbacks().list_callbacks(partner, filter, {}).items.at(0);
  EXPECT_TRUE(got.completed);
  EXPECT_EQ(got.cdr_id, 1234);
}

TEST_F(SqlCallbackStoreTest, CompletingAnUnknownCallbackIsNotFound) {
  EXPECT_THROW(callbacks().complete_callback(424242, std::nullopt), NotFoundError);
}

TEST_F(SqlCallbackStoreTest, DeletingTheCustomerDeletesItsCallbacks) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  make_callback(partner, customer, clock_.now() + days(1));
  store_->customers().delete_customer(partner, customer);
  EXPECT_TRUE(due_ids().empty());
  clock_.advance(days(2));
  EXPECT_TRUE(due_ids().empty());
}

TEST_F(SqlCallbackStoreTest, EveryReadCarriesTheCustomersPartner) {
  make_partner("first");  // so partner and customer ids differ
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  const auto created = make_callback(partner, customer, clock_.now());
  EXPECT_EQ(created.partner_id, partner);
  EXPECT_EQ(listed(partner, customer, clock_.now(), clock_.now()), std::vector<Id>{created.id});
  CallbackFilter filter;
  filter.customer_id = customer;
  filter.from = filter.to = clock_.now();
  EXPECT_EQ(callbacks().list_callbacks(partner, filter, {}).items.at(0).partner_id, partner);
  const auto due = callbacks().due_callbacks(clock_.now(), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].partner_id, partner);
}

}  // namespace
}  // namespace callsight
