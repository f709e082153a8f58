#include "store/sql/sql_blacklist_store.hpp"

#include <gtest/gtest.h>

#include "store/customer_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

using Numbers = std::vector<std::string>;

class SqlBlacklistStoreTest : public SqlStoreFixture {
 protected:
  BlacklistStore& blacklists() { return store_->blacklists(); }
};

TEST_F(SqlBlacklistStoreTest, NewCustomerHasAnEmptyList) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  EXPECT_TRUE(blacklists().blacklist(partner, customer).empty());
  EXPECT_FALSE(blacklists().is_blacklisted(customer, "+46701234567"));
}

TEST_F(SqlBlacklistStoreTest, ReplaceKeepsTheGivenOrderAndAnswersTheStoredList) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  const Numbers given = {"+46709999999", "+46701111111", "+4631123456"};
  EXPECT_EQ(blacklists().replace_blacklist(partner, customer, given), given);
  EXPECT_EQ(blacklists().blacklist(partner, customer), given);
}

TEST_F(SqlBlacklistStoreTest, ReplaceDropsEveryEarlierNumber) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  blacklists().replace_blacklist(partner, customer, {"+46701111111", "+46702222222"});
  blacklists().replace_blacklist(partner, customer, {"+46703333333"});
  EXPECT_EQ(blacklists().blacklist(partner, customer), Numbers{"+46703333333"});
  EXPECT_FALSE(blacklists().is_blacklisted(customer, "+46701111111"));
  EXPECT_TRUE(blacklists().is_blacklisted(customer, "+46703333333"));
}

TEST_F(SqlBlacklistStoreTest, EmptyReplaceClearsTheList) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  blacklists().replace_blacklist(partner, customer, {"+46701111111"});
  EXPECT_TRUE(blacklists().replace_blacklist(partner, customer, {}).empty());
  EXPECT_FALSE(blacklists().is_blacklisted(customer, "+46701111111"));
}

TEST_F(SqlBlacklistStoreTest, DuplicatesCollapseToTheFirstOccurrence) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  const auto stored = blacklists().replace_blacklist(
      partner, customer, {"+46702222222", "+46701111111", "+46702222222"});
  EXPECT_EQ(stored, (Numbers{"+46702222222", "+46701111111"}));
}

TEST_F(SqlBlacklistStoreTest, ListsBelongToOneCustomer) {
  const Id partner = make_partner("acme");
  const Id first = make_customer(partner, "c1");
  const Id second = make_customer(partner, "c2");
  blacklists().replace_blacklist(partner, first, {"+46701111111"});
  EXPECT_TRUE(blacklists().blacklist(partner, second).empty());
  EXPECT_FALSE(blacklists().is_blacklisted(second, "+46701111111"));
  EXPECT_TRUE(blacklists().is_blacklisted(first, "+46701111111"));
}

TEST_F(SqlBlacklistStoreTest, AnotherPartnersCustomerIsNotFoundAndKeepsItsList) {
  const Id acme = make_partner("acme");
  const Id other = make_partner("other");
  const Id customer = make_customer(acme, "c1");
  blacklists().replace_blacklist(acme, customer, {"+46701111111"});
  EXPECT_THROW(blacklists().blacklist(other, customer), NotFoundError);
  EXPECT_THROW(blacklists().replace_blacklist(other, customer, {}), NotFoundError);
  EXPECT_EQ(blacklists().blacklist(acme, customer), Numbers{"+46701111111"});
}

TEST_F(SqlBlacklistStoreTest, UnknownCustomerIsNotFoundAndHasNoBlacklist) {
  const Id partner = make_partner("acme");
  EXPECT_THROW(blacklists().blacklist(partner, 999), NotFoundError);
  EXPECT_FALSE(blacklists().is_blacklisted(999, "+46701111111"));
}

TEST_F(SqlBlacklistStoreTest, IsBlacklistedComparesWholeNumbers) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  blacklists().replace_blacklist(partner, customer, {"+46701111111"});
  EXPECT_FALSE(blacklists().is_blacklisted(customer, "+4670111111"));
  EXPECT_FALSE(blacklists().is_blacklisted(customer, "+467011111112"));
}

TEST_F(SqlBlacklistStoreTest, DeletingTheCustomerTakesItsListAlong) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  blacklists().replace_blacklist(partner, customer, {"+46701111111"});
  store_->customers().delete_customer(partner, customer);
  EXPECT_FALSE(blacklists().is_blacklisted(customer, "+46701111111"));
}

TEST_F(SqlBlacklistStoreTest, ListSurvivesReopeningTheDatabase) {
  const Id partner = make_partner("acme");
  const Id customer = make_customer(partner, "c1");
  blacklists().replace_blacklist(partner, customer, {"+46702222222", "+46701111111"});
  reopen();
  EXPECT_EQ(blacklists().blacklist(partner, customer), (Numbers{"+46702222222", "+46701111111"}));
}

}  // namespace
}  // namespace callsight
