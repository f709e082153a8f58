#include "store/sql/sql_pincode_store.hpp"

#include <gtest/gtest.h>

#include "core/pincode.hpp"
#include "core/time_format.hpp"
#include "store/customer_store.hpp"
#include "store/sql/sql_database.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

using std::chrono::days;
using std::chrono::seconds;

// Hands out the given candidates in order and counts the draws.
struct ScriptedDraw {
  std::vector<std::string> candidates;
  int draws = 0;
  PincodeDraw fn() {
    return [this] { return candidates.at(static_cast<std::size_t>(draws++)); };
  }
};

class SqlPincodeStoreTest : public SqlStoreFixture {
 protected:
  Pincode pin_for(Id customer_id, int ttl_days = 1) {
    Pincode p;
    p.customer_id = customer_id;
    p.phone_number = "+46701234567";
    p.expires = pincode_expiry(clock_.now(), ttl_days);
    return p;
  }

  Pincode create(Id partner_id, Id customer_id, const std::string& pin, int ttl_days = 1) {
    return pincodes().create_pincode(partner_id, pin_for(customer_id, ttl_days),
                                     [pin] { return pin; });
  }

  std::vector<Id> ids(Id partner_id, const PincodeFilter& filter, PageRequest page = {}) {
    std::vector<Id> out;
    for (const auto& p : pincodes().list_pincodes(partner_id, filter, page).items) {
      out.push_back(p.id);
    }
    return out;
  }

  PincodeStore& pincodes() { return store_->pincodes(); }
};

TEST_F(SqlPincodeStoreTest, CreateStoresEveryFieldWithTheDrawnPin) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  auto p = pin_for(customer, 14);
  p.custom_lead_id = "lead-1";
  p.custom_lead_data = R"({"score":7})";
  const auto stored = pincodes().create_pincode(partner, p, [] { return std::string("0123456"); });
  EXPECT_GT(stored.id, 0);
  EXPECT_EQ(stored.pincode, "0123456");
  EXPECT_EQ(stored.created, "2024-01-15 12:00:00");

  PincodeFilter filter;
  filter.pincode_id = stored.id;
  const auto got = pincodes().list_pincodes(partner, filter, {}).items.at(0);
  EXPECT_EQ(got.customer_id, customer);
  EXPECT_EQ(got.pincode, "0123456");
  EXPECT_EQ(got.phone_number, "+46701234567");
  EXPECT_FALSE(got.cdr_id);
  EXPECT_EQ(got.custom_lead_id, "lead-1");
  EXPECT_EQ(got.custom_lead_data, R"({"score":7})");
  EXPECT_FALSE(got.outcome);
  EXPECT_EQ(format_utc(got.expires), "2024-01-29 12:00:00");
  EXPECT_EQ(got.created, "2024-01-15 12:00:00");
}

TEST_F(SqlPincodeStoreTest, CollisionWithALivePinOfTheCustomerDrawsAgain) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  create(partner, customer, "111111");
  ScriptedDraw draw{{"111111", "222222"}};
  const auto stored = pincodes().create_pincode(partner, pin_for(customer), draw.fn());
  EXPECT_EQ(stored.pincode, "222222");
  EXPECT_EQ(draw.draws, 2);
}

TEST_F(SqlPincodeStoreTest, SamePinIsFineForAnotherCustomer) {
  const Id partner = make_partner("acme");
  create(partner, make_customer(partner, "c1"), "111111");
  EXPECT_EQ(create(partner, make_customer(partner, "c2"), "111111").pincode, "111111");
}

TEST_F(SqlPincodeStoreTest, AnExpiredPinMayBeIssuedAgain) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  const Id old_id = create(partner, customer, "111111", 1).id;
  clock_.advance(days(1) - seconds(1));
  EXPECT_THROW(create(partner, customer, "111111"), ConflictError);  // still live: all draws hit
  clock_.advance(seconds(1));
  const auto again = create(partner, customer, "111111");
  EXPECT_EQ(again.pincode, "111111");
  PincodeFilter filter;
  filter.customer_id = customer;
  EXPECT_EQ(ids(partner, filter), (std::vector<Id>{again.id, old_id}));  // history stays
}

TEST_F(SqlPincodeStoreTest, NoFreePinAfterMaxDrawsIsAConflictAndWritesNothing) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  create(partner, customer, "111111");
  try {
    create(partner, customer, "111111");
    FAIL() << "expected ConflictError";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "no_free_pincode");
    EXPECT_EQ(e.field(), "pincode_length");
  }
  EXPECT_EQ(pincodes().list_pincodes(partner, {}, {}).total, 1);
}

TEST_F(SqlPincodeStoreTest, SqlRefusesASecondLivePinAsTheLastGuard) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  create(partner, customer, "111111");
  store_.reset();
  const auto db = database_.open_raw();
  SqlTransaction tx(*db, TxMode::write);
  auto insert = [&] {
    db->prepare(
          "INSERT INTO pincodes (customer_id, pincode, live_pincode, expires, created) "
          "VALUES (:c, '111111', '111111', 0, 'x')")
        .bind(":c", customer)
        .run();
  };
  EXPECT_THROW(insert(), StoreError);
}

TEST_F(SqlPincodeStoreTest, CreateForAnotherPartnersCustomerIsNotFound) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  const Id customer = make_customer(acme, "c1");
  EXPECT_THROW(create(other, customer, "111111"), NotFoundError);
}

TEST_F(SqlPincodeStoreTest, ListIsNewestFirstPagedAndFiltered) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  const Id c1 = make_customer(acme, "c1");
  const Id c2 = make_customer(acme, "c2");
  const Id a = create(acme, c1, "100000").id;
  const Id b = create(acme, c2, "200000").id;
  const Id c = create(acme, c1, "300000").id;
  create(other, make_customer(other, "x"), "400000");

  EXPECT_EQ(ids(acme, {}), (std::vector<Id>{c, b, a}));
  PincodeFilter by_customer;
  by_customer.customer_id = c1;
  EXPECT_EQ(ids(acme, by_customer), (std::vector<Id>{c, a}));
  PincodeFilter by_id;
  by_id.pincode_id = b;
  EXPECT_EQ(ids(acme, by_id), std::vector<Id>{b});
  EXPECT_TRUE(ids(other, by_id).empty());
  EXPECT_EQ(ids(acme, {}, {1, 2}), std::vector<Id>{a});
  EXPECT_EQ(pincodes().list_pincodes(acme, {}, {1, 2}).total, 3);
}

TEST_F(SqlPincodeStoreTest, ListByCdrIdGivesThePinsIssuedForThatCall) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  const Id customer = make_customer(acme, "c1");
  create(acme, customer, "100000");
  auto for_call = pin_for(customer);
  for_call.phone_number.reset();
  for_call.cdr_id = 41;
  const Id tied =
      pincodes().create_pincode(acme, for_call, [] { return std::string("200000"); }).id;
  PincodeFilter by_cdr;
  by_cdr.cdr_id = 41;
  EXPECT_EQ(ids(acme, by_cdr), std::vector<Id>{tied});
  EXPECT_EQ(pincodes().list_pincodes(acme, by_cdr, {}).total, 1);
  EXPECT_TRUE(ids(other, by_cdr).empty());
  by_cdr.cdr_id = 42;
  EXPECT_TRUE(ids(acme, by_cdr).empty());
}

TEST_F(SqlPincodeStoreTest, DeletingTheCustomerDeletesItsPins) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  create(partner, customer, "111111");
  store_->customers().delete_customer(partner, customer);
  EXPECT_EQ(pincodes().list_pincodes(partner, {}, {}).total, 0);
}

}  // namespace
}  // namespace callsight
