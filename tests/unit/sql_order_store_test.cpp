#include "store/sql/sql_order_store.hpp"

#include <gtest/gtest.h>

#include "core/time_format.hpp"
#include "store/customer_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

class SqlOrderStoreTest : public SqlStoreFixture {
 protected:
  Order order_for(Id customer_id, const std::string& order_id) {
    Order o;
    o.customer_id = customer_id;
    o.order_id = order_id;
    o.cli_id = "cli-" + order_id;
    o.order_value = "123.45";
    o.timestamp = at("2024-01-14 09:30:00");
    return o;
  }

  Order create(Id partner_id, Id customer_id, const std::string& order_id) {
    return orders().create_order(partner_id, order_for(customer_id, order_id));
  }

  std::vector<std::string> order_ids(Id partner_id, const OrderFilter& filter = {},
                                     PageRequest page = {}) {
    std::vector<std::string> out;
    for (const auto& o : orders().list_orders(partner_id, filter, page).items) {
      out.push_back(o.order_id);
    }
    return out;
  }

  OrderStore& orders() { return store_->orders(); }
};

TEST_F(SqlOrderStoreTest, CreateStoresEveryFieldAndTheReceiveTime) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  auto o = order_for(customer, "A-1");
  o.extras = R"({"sku":"x"})";
  const auto stored = orders().create_order(partner, o);
  EXPECT_GT(stored.id, 0);
  EXPECT_EQ(stored.created, "2024-01-15 12:00:00");
  EXPECT_EQ(stored.custnr, "c1");

  const auto got = orders().list_orders(partner, {}, {}).items.at(0);
  EXPECT_EQ(got.id, stored.id);
  EXPECT_EQ(got.customer_id, customer);
  EXPECT_EQ(got.custnr, "c1");
  EXPECT_EQ(format_utc(got.timestamp), "2024-01-14 09:30:00");
  EXPECT_EQ(got.cli_id, "cli-A-1");
  EXPECT_EQ(got.order_id, "A-1");
  EXPECT_EQ(got.order_value, "123.45");
  EXPECT_EQ(got.extras, R"({"sku":"x"})");
  EXPECT_EQ(got.created, "2024-01-15 12:00:00");
}

TEST_F(SqlOrderStoreTest, OrderValueIsKeptAsGivenText) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  auto o = order_for(customer, "A-1");
  o.order_value = "007.50";
  orders().create_order(partner, o);
  EXPECT_EQ(orders().list_orders(partner, {}, {}).items.at(0).order_value, "007.50");
}

TEST_F(SqlOrderStoreTest, MissingExtrasStayAbsent) {
  const Id partner = make_partner("acme");
  create(partner, make_customer(partner, "c1"), "A-1");
  EXPECT_FALSE(orders().list_orders(partner, {}, {}).items.at(0).extras);
}

TEST_F(SqlOrderStoreTest, DuplicateOrderIdOfOneCustomerIsAConflictAndWritesNothing) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  create(partner, customer, "A-1");
  try {
    create(partner, customer, "A-1");
    FAIL() << "no ConflictError";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "duplicate");
    EXPECT_EQ(e.field(), "order_id");
  }
  EXPECT_EQ(orders().list_orders(partner, {}, {}).total, 1);
}

TEST_F(SqlOrderStoreTest, SameOrderIdIsFineForAnotherCustomer) {
  const Id partner = make_partner("acme");
  create(partner, make_customer(partner, "c1"), "A-1");
  create(partner, make_customer(partner, "c2"), "A-1");
  EXPECT_EQ(order_ids(partner), (std::vector<std::string>{"A-1", "A-1"}));
}

TEST_F(SqlOrderStoreTest, AnotherPartnersCustomerIsNotFound) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  const Id customer = make_customer(acme, "c1");
  EXPECT_THROW(create(other, customer, "A-1"), NotFoundError);
  EXPECT_THROW(create(acme, 999, "A-1"), NotFoundError);
  EXPECT_TRUE(order_ids(acme).empty());
}

TEST_F(SqlOrderStoreTest, ListingReachesOnlyThePartnersOrders) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  create(acme, make_customer(acme, "c1"), "A-1");
  create(other, make_customer(other, "c1"), "B-1");
  EXPECT_EQ(order_ids(acme), std::vector<std::string>{"A-1"});
  EXPECT_EQ(order_ids(other), std::vector<std::string>{"B-1"});
  OrderFilter by_custnr;
  by_custnr.custnr = "c1";
  EXPECT_EQ(order_ids(acme, by_custnr), std::vector<std::string>{"A-1"});
}

TEST_F(SqlOrderStoreTest, FiltersCombine) {
  const Id partner = make_partner("acme");
  const Id first = make_customer(partner, "c1");
  const Id second = make_customer(partner, "c2");
  create(partner, first, "A-1");
  create(partner, first, "A-2");
  create(partner, second, "A-1");
  OrderFilter filter;
  filter.customer_id = first;
  EXPECT_EQ(order_ids(partner, filter), (std::vector<std::string>{"A-1", "A-2"}));
  filter = {};
  filter.custnr = "c2";
  EXPECT_EQ(order_ids(partner, filter), std::vector<std::string>{"A-1"});
  filter = {};
  filter.order_id = "A-1";
  EXPECT_EQ(orders().list_orders(partner, filter, {}).total, 2);
  filter.customer_id = first;
  const auto one = orders().list_orders(partner, filter, {});
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0].customer_id, first);
  filter.custnr = "c2";  // another customer's custnr: nothing matches both
  EXPECT_TRUE(order_ids(partner, filter).empty());
}

TEST_F(SqlOrderStoreTest, PagesAreOldestFirstWithTheTotal) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  for (const char* id : {"o1", "o2", "o3", "o4", "o5"}) create(partner, customer, id);
  const auto page = orders().list_orders(partner, {}, {1, 2});
  EXPECT_EQ(page.total, 5);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].order_id, "o3");
  EXPECT_EQ(page.items[1].order_id, "o4");
  EXPECT_EQ(order_ids(partner, {}, {2, 2}), std::vector<std::string>{"o5"});
}

TEST_F(SqlOrderStoreTest, CreatedFollowsTheStoreClock) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  clock_.advance(std::chrono::hours(25));
  EXPECT_EQ(create(partner, customer, "A-1").created, "2024-01-16 13:00:00");
}

TEST_F(SqlOrderStoreTest, DeletingTheCustomerTakesItsOrdersAlong) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  create(partner, customer, "A-1");
  store_->customers().delete_customer(partner, customer);
  EXPECT_EQ(orders().list_orders(partner, {}, {}).total, 0);
}

}  // namespace
}  // namespace callsight
