#include "store/sql/sql_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "core/source_lifecycle.hpp"
#include "core/time_format.hpp"
#include "store/customer_store.hpp"
#include "store/number_store.hpp"
#include "store/partner_store.hpp"
#include "store/source_store.hpp"
#include "store/sql/migrations.hpp"
#include "store/sql/sql_database.hpp"
#include "store/user_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

namespace fs = std::filesystem;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::seconds;

// A filter or request with one member set (designated initializers would trip
// -Wmissing-field-initializers).
template <class Struct, class Member, class Value>
Struct where(Member Struct::*member, Value value) {
  Struct s;
  s.*member = std::move(value);
  return s;
}

class SqlStoreTest : public ::testing::Test {
 protected:
  void reopen() {
    store_.reset();
    store_ = open_store(database_.location(), clock_);
  }

  Partner make_partner(const std::string& username, int quarantine_days = 60) {
    Partner p;
    p.name = "Partner " + username;
    p.username = username;
    p.password_hash = "hash";
    p.digest_ha1_md5 = "md5";
    p.digest_ha1_sha256 = "sha256";
    p.allowed_cidrs = {"10.0.0.0/8", "192.168.1.0/24"};
    p.country = "SE";
    p.timezone = "Europe/Stockholm";
    p.quarantine_days = quarantine_days;
    return store_->partners().create_partner(p);
  }

  Customer make_customer(Id partner_id, const std::string& custnr) {
    Customer c;
    c.partner_id = partner_id;
    c.name = "Customer " + custnr;
    c.custnr = custnr;
    c.uuid = "uuid-" + custnr;
    return store_->customers().create_customer(c);
  }

  User make_user(Id partner_id, Id customer_id, const std::string& email) {
    User u;
    u.customer_id = customer_id;
    u.email = email;
    u.name = "User";
    u.token = "token";
    return store_->users().create_user(partner_id, u);
  }

  Source source_for(const Customer& customer) const {
    Source s;
    s.partner_id = customer.partner_id;
    s.customer_id = customer.id;
    s.name = "web";
    s.media = "google";
    s.answering_number = "+46890510";
    s.lifecycle.activation = clock_.now();
    return s;
  }

  Source make_source(const Customer& customer, NumberRequest request = {}) {
    return store_->sources().create_source(source_for(customer), request);
  }

  std::vector<std::string> numbers_in(std::optional<NumberState> state,
                                      std::optional<Id> visible_to = std::nullopt) {
    std::vector<std::string> out;
    for (const auto& n : store_->numbers().list_numbers(state, visible_to)) out.push_back(n.number);
    return out;
  }

  std::vector<Id> source_ids(Id partner_id, const SourceFilter& filter) {
    std::vector<Id> ids;
    for (const auto& s : store_->sources().list_sources(partner_id, filter, {}).items)
      ids.push_back(s.id);
    return ids;
  }

  TestDatabase database_{Start::migrated};
  ManualClock clock_{at("2024-01-15 12:00:00")};
  std::unique_ptr<Store> store_ = open_store(database_.location(), clock_);
};

// ---- opening and migrations ----

TEST_F(SqlStoreTest, DescriptionNamesTheDatabaseAndSchemaVersion) {
  const std::string version = " (schema version " + std::to_string(latest_schema_version()) + ")";
  if (testing_postgres()) {
    EXPECT_TRUE(store_->description().starts_with("PostgreSQL ")) << store_->description();
    EXPECT_TRUE(store_->description().ends_with(version)) << store_->description();
  } else {
    EXPECT_EQ(store_->description(),
              "SQLite " + fs::absolute(database_.location()).string() + version);
  }
}

TEST_F(SqlStoreTest, SharedSecretIsMadeOnceAndKeptPerName) {
  const auto nonce_key = store_->shared_secret("digest_nonce");
  EXPECT_EQ(nonce_key.size(), 64u);
  EXPECT_EQ(store_->shared_secret("digest_nonce"), nonce_key);
  EXPECT_NE(store_->shared_secret("other"), nonce_key);
  // Another process (node) on the same database gets the same secret.
  const auto second_node = open_store(database_.location(), clock_);
  EXPECT_EQ(second_node->shared_secret("digest_nonce"), nonce_key);
  reopen();
  EXPECT_EQ(store_->shared_secret("digest_nonce"), nonce_key);
}

// On a database of its own: the fixture's was migrated before this test's clock began.
TEST_F(SqlStoreTest, MigrationsApplyOnceAndReopenKeepsData) {
  const TestDatabase database(Start::empty);
  Partner partner;
  partner.username = "acme";
  partner.id = open_store(database.location(), clock_)->partners().create_partner(partner).id;
  clock_.advance(hours(1));  // a reopen that migrated again would record this later time
  open_store(database.location(), clock_).reset();
  EXPECT_EQ(open_store(database.location(), clock_)->partners().find_partner(partner.id)->username,
            "acme");
  const auto db = database.open_raw();
  SqlTransaction tx(*db, TxMode::read);
  auto rows = db->prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version");
  std::vector<std::int64_t> versions;
  while (rows.step()) {
    versions.push_back(rows.int64(0));
    EXPECT_EQ(rows.text(1), "2024-01-15 12:00:00");
  }
  std::vector<std::int64_t> expected;
  for (int v = 1; v <= latest_schema_version(); ++v) expected.push_back(v);
  EXPECT_EQ(versions, expected);
}

TEST_F(SqlStoreTest, OpenRefusesDatabaseWrittenByNewerVersion) {
  store_.reset();
  {
    const auto db = database_.open_raw();
    SqlTransaction tx(*db, TxMode::write);
    db->exec("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')");
    tx.commit();
  }
  try {
    open_store(database_.location(), clock_);
    FAIL() << "opened a database from the future";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST_F(SqlStoreTest, UsesWalJournal) {
  if (testing_postgres()) GTEST_SKIP() << "SQLite only";
  store_.reset();
  const auto db = database_.open_raw();
  SqlTransaction tx(*db, TxMode::read);
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.text(0), "wal");
}

// A write the store acknowledged is in the file even if the process dies right after,
// without closing the database (the WAL is recovered on the next open).
TEST_F(SqlStoreTest, AcknowledgedWriteSurvivesSigkill) {
  store_.reset();
  int acknowledged[2];
  ASSERT_EQ(::pipe(acknowledged), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const auto store = open_store(database_.location(), clock_);
    Partner p;
    p.username = "survivor";
    store->partners().create_partner(p);
    const char done = 1;
    if (::write(acknowledged[1], &done, 1) != 1) ::_exit(1);
    for (;;) ::pause();
  }
  char done = 0;
  ASSERT_EQ(::read(acknowledged[0], &done, 1), 1);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(acknowledged[0]);
  ::close(acknowledged[1]);
  ASSERT_TRUE(WIFSIGNALED(status));
  reopen();
  EXPECT_TRUE(store_->partners().find_partner_by_username("survivor"));
}

// ---- partners ----

TEST_F(SqlStoreTest, PartnerRoundTripsEveryField) {
  const auto created = make_partner("acme", 30);
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.created, "2024-01-15 12:00:00");
  auto found = store_->partners().find_partner_by_username("acme");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, created.id);
  EXPECT_EQ(found->digest_ha1_sha256, "sha256");
  EXPECT_EQ(found->allowed_cidrs, created.allowed_cidrs);
  EXPECT_EQ(found->quarantine_days, 30);
  EXPECT_EQ(found->timezone, "Europe/Stockholm");
  EXPECT_FALSE(store_->partners().find_partner_by_username("ACME"));

  found->allowed_cidrs = {"0.0.0.0/0"};
  found->name = "Renamed";
  store_->partners().update_partner(*found);
  const auto updated = store_->partners().find_partner(created.id);
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_EQ(updated->allowed_cidrs, std::vector<std::string>{"0.0.0.0/0"});
  EXPECT_EQ(store_->partners().list_partners().size(), 1u);

  store_->partners().remove_partner(created.id);
  EXPECT_FALSE(store_->partners().find_partner(created.id));
  EXPECT_THROW(store_->partners().remove_partner(created.id), NotFoundError);
  Partner ghost = *updated;
  EXPECT_THROW(store_->partners().update_partner(ghost), NotFoundError);
}

TEST_F(SqlStoreTest, DuplicatePartnerUsernameIsAConflict) {
  make_partner("acme");
  auto other = make_partner("globex");
  try {
    make_partner("acme");
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "duplicate");
    EXPECT_EQ(e.field(), "username");
  }
  other.username = "acme";
  EXPECT_THROW(store_->partners().update_partner(other), ConflictError);
  EXPECT_EQ(store_->partners().list_partners().size(), 2u);
}

TEST_F(SqlStoreTest, RemovePartnerRefusedWhileItHasCustomers) {
  const auto partner = make_partner("acme");
  const auto customer = make_customer(partner.id, "c1");
  try {
    store_->partners().remove_partner(partner.id);
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "has_customers");
    EXPECT_EQ(e.field(), "partner");
  }
  store_->customers().delete_customer(partner.id, customer.id);
  store_->partners().remove_partner(partner.id);
  EXPECT_FALSE(store_->partners().find_partner(partner.id));
}

// ---- customers ----

TEST_F(SqlStoreTest, CustomerRoundTripsEveryField) {
  const auto partner = make_partner("acme");
  Customer c;
  c.partner_id = partner.id;
  c.name = "Shop";
  c.custnr = "K-1";
  c.corporateid = "556000-0000";
  c.email = "shop@example.se";
  c.uuid = "7f1b2c3d-0000-4000-8000-000000000000";
  c.dncs_class_name = "gold";
  c.custom[0] = "Storgatan";
  c.custom[19] = "twenty";
  c.receive_monthly_report = 2;
  c.freespee_caller_id = 1;
  c.whisper = 1;
  const auto created = store_->customers().create_customer(c);
  EXPECT_EQ(created.created, "2024-01-15 12:00:00");
  EXPECT_EQ(created.modified, created.created);

  clock_.advance(hours(1));
  auto found = store_->customers().find_customer(partner.id, created.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->custom[0], "Storgatan");
  EXPECT_EQ(found->custom[19], "twenty");
  EXPECT_FALSE(found->custom[1]);
  EXPECT_EQ(found->uuid, c.uuid);
  EXPECT_EQ(found->receive_monthly_report, 2);
  EXPECT_EQ(found->whisper, 1);

  found->custom[0].reset();
  found->name = "Shop AB";
  const auto updated = store_->customers().update_customer(*found);
  EXPECT_FALSE(updated.custom[0]);
  EXPECT_EQ(updated.name, "Shop AB");
  EXPECT_EQ(updated.created, "2024-01-15 12:00:00");
  EXPECT_EQ(updated.modified, "2024-01-15 13:00:00");
  EXPECT_EQ(updated.uuid, c.uuid);

  const auto deleted = store_->customers().delete_customer(partner.id, created.id);
  EXPECT_EQ(deleted.name, "Shop AB");
  EXPECT_FALSE(store_->customers().find_customer(partner.id, created.id));
  EXPECT_THROW(store_->customers().delete_customer(partner.id, created.id), NotFoundError);
}

TEST_F(SqlStoreTest, CustnrIsUniquePerPartnerOnly) {
  const auto a = make_partner("acme");
  const auto b = make_partner("globex");
  make_customer(a.id, "K-1");
  auto second = make_customer(a.id, "K-2");
  try {
    make_customer(a.id, "K-1");
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "duplicate");
    EXPECT_EQ(e.field(), "custnr");
  }
  second.custnr = "K-1";
  EXPECT_THROW(store_->customers().update_customer(second), ConflictError);
  EXPECT_EQ(store_->customers().find_customer(a.id, second.id)->custnr, "K-2");
  EXPECT_NO_THROW(make_customer(b.id, "K-1"));
}

TEST_F(SqlStoreTest, CustomerListFiltersAndPages) {
  const auto partner = make_partner("acme");
  const auto other = make_partner("globex");
  make_customer(other.id, "X");
  std::vector<Id> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(make_customer(partner.id, "K-" + std::to_string(i)).id);

  const auto page1 = store_->customers().list_customers(partner.id, {}, {.page = 1, .pagesize = 2});
  EXPECT_EQ(page1.total, 5);
  ASSERT_EQ(page1.items.size(), 2u);
  EXPECT_EQ(page1.items[0].id, ids[2]);
  EXPECT_EQ(page1.items[1].id, ids[3]);
  const auto last = store_->customers().list_customers(partner.id, {}, {.page = 2, .pagesize = 2});
  EXPECT_EQ(last.items.size(), 1u);
  EXPECT_EQ(last.total, 5);

  const auto by_custnr =
      store_->customers().list_customers(partner.id, where(&CustomerFilter::custnr, "K-3"), {});
  ASSERT_EQ(by_custnr.items.size(), 1u);
  EXPECT_EQ(by_custnr.items[0].id, ids[3]);
  EXPECT_EQ(by_custnr.total, 1);
  EXPECT_EQ(store_->customers()
                .list_customers(partner.id, where(&CustomerFilter::customer_id, ids[4]), {})
                .total,
            1);
}

// ---- isolation between partners ----

TEST_F(SqlStoreTest, PartnerCannotReachAnotherPartnersObjects) {
  const auto a = make_partner("acme");
  const auto b = make_partner("globex");
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto customer = make_customer(a.id, "K-1");
  const auto user = make_user(a.id, customer.id, "ann@example.se");
  const auto source = make_source(customer);

  EXPECT_FALSE(store_->customers().find_customer(b.id, customer.id));
  EXPECT_EQ(store_->customers().list_customers(b.id, {}, {}).total, 0);
  EXPECT_EQ(store_->customers()
                .list_customers(b.id, where(&CustomerFilter::customer_id, customer.id), {})
                .total,
            0);
  Customer hijacked = customer;
  hijacked.partner_id = b.id;
  EXPECT_THROW(store_->customers().update_customer(hijacked), NotFoundError);
  EXPECT_THROW(store_->customers().delete_customer(b.id, customer.id), NotFoundError);

  EXPECT_FALSE(store_->users().find_user(b.id, user.id));
  EXPECT_EQ(store_->users().list_users(b.id, {}, {}).total, 0);
  EXPECT_THROW(store_->users().update_user(b.id, user), NotFoundError);
  EXPECT_THROW(store_->users().delete_user(b.id, user.id), NotFoundError);
  User intruder;
  intruder.customer_id = customer.id;
  intruder.email = "eve@example.se";
  EXPECT_THROW(store_->users().create_user(b.id, intruder), NotFoundError);

  EXPECT_FALSE(store_->sources().find_source(b.id, source.id));
  EXPECT_EQ(store_->sources().list_sources(b.id, {}, {}).total, 0);
  Source stolen = source;
  stolen.partner_id = b.id;
  EXPECT_THROW(store_->sources().update_source(stolen), NotFoundError);
  Source foreign = source_for(customer);
  foreign.partner_id = b.id;
  EXPECT_THROW(store_->sources().create_source(foreign, {}), NotFoundError);

  EXPECT_EQ(store_->customers().find_customer(a.id, customer.id)->name, customer.name);
  EXPECT_TRUE(store_->users().find_user(a.id, user.id));
}

// ---- users ----

TEST_F(SqlStoreTest, UserEmailIsUniquePlatformWideIgnoringCase) {
  const auto a = make_partner("acme");
  const auto b = make_partner("globex");
  const auto ca = make_customer(a.id, "K-1");
  const auto cb = make_customer(b.id, "K-1");
  make_user(a.id, ca.id, "ann@example.se");
  try {
    make_user(b.id, cb.id, "ANN@Example.se");
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "duplicate");
    EXPECT_EQ(e.field(), "email");
  }
  auto bob = make_user(b.id, cb.id, "bob@example.se");
  bob.email = "Ann@example.se";
  EXPECT_THROW(store_->users().update_user(b.id, bob), ConflictError);
  bob.email = "BOB@example.se";  // changing the case of one's own address is fine
  EXPECT_EQ(store_->users().update_user(b.id, bob).email, "BOB@example.se");
}

TEST_F(SqlStoreTest, UserRoundTripsAndListsThroughCustomers) {
  const auto partner = make_partner("acme");
  const auto c1 = make_customer(partner.id, "K-1");
  const auto c2 = make_customer(partner.id, "K-2");
  const auto u1 = make_user(partner.id, c1.id, "a@example.se");
  make_user(partner.id, c2.id, "b@example.se");
  make_user(partner.id, c2.id, "c@example.se");
  EXPECT_EQ(u1.created, "2024-01-15 12:00:00");
  EXPECT_EQ(u1.token, "token");

  EXPECT_EQ(store_->users().list_users(partner.id, {}, {}).total, 3);
  EXPECT_EQ(
      store_->users().list_users(partner.id, where(&UserFilter::customer_id, c2.id), {}).total, 2);
  const auto page = store_->users().list_users(partner.id, where(&UserFilter::customer_id, c2.id),
                                               {.page = 1, .pagesize = 1});
  EXPECT_EQ(page.total, 2);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].email, "c@example.se");
  EXPECT_EQ(store_->users()
                .list_users(partner.id, where(&UserFilter::user_id, u1.id), {})
                .items.at(0)
                .email,
            "a@example.se");

  clock_.advance(seconds(5));
  User activated = u1;
  activated.token.reset();
  activated.customer_id = c2.id;  // ignored: users do not move between customers
  const auto stored = store_->users().update_user(partner.id, activated);
  EXPECT_FALSE(stored.token);
  EXPECT_EQ(stored.customer_id, c1.id);
  EXPECT_EQ(stored.modified, "2024-01-15 12:00:05");

  EXPECT_EQ(store_->users().delete_user(partner.id, u1.id).email, "a@example.se");
  EXPECT_FALSE(store_->users().find_user(partner.id, u1.id));
  User orphan;
  orphan.customer_id = 9999;
  orphan.email = "x@example.se";
  EXPECT_THROW(store_->users().create_user(partner.id, orphan), NotFoundError);
}

TEST_F(SqlStoreTest, DeleteCustomerDeletesItsUsers) {
  const auto partner = make_partner("acme");
  const auto customer = make_customer(partner.id, "K-1");
  const auto user = make_user(partner.id, customer.id, "a@example.se");
  store_->customers().delete_customer(partner.id, customer.id);
  EXPECT_FALSE(store_->users().find_user(partner.id, user.id));
  const auto again = make_customer(partner.id, "K-1");
  EXPECT_NO_THROW(make_user(partner.id, again.id, "a@example.se"));
}

TEST_F(SqlStoreTest, DeleteCustomerRefusedWhileASourceIsLiveAllowedOnceArchived) {
  const auto partner = make_partner("acme", 1);
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  auto source = make_source(customer);
  try {
    store_->customers().delete_customer(partner.id, customer.id);
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "has_live_sources");
    EXPECT_EQ(e.field(), "customer_id");
  }
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  EXPECT_THROW(store_->customers().delete_customer(partner.id, customer.id),
               ConflictError);  // quarantined
  clock_.advance(days(1));
  EXPECT_NO_THROW(store_->customers().delete_customer(partner.id, customer.id));
  EXPECT_FALSE(store_->sources().find_source(partner.id, source.id));
  EXPECT_EQ(numbers_in(NumberState::free), std::vector<std::string>{"+46101"});
  EXPECT_NO_THROW(store_->numbers().remove_number("+46101"));
}

// ---- number inventory ----

TEST_F(SqlStoreTest, AddNumbersReportsDuplicatesWithoutTouchingThem) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46101"}, partner.id);
  const auto result = store_->numbers().add_numbers({"+46102", "+46101", "+46102"}, std::nullopt);
  EXPECT_EQ(result.added, std::vector<std::string>{"+46102"});
  EXPECT_EQ(result.duplicates, (std::vector<std::string>{"+46101", "+46102"}));
  const auto numbers = store_->numbers().list_numbers(std::nullopt, std::nullopt);
  ASSERT_EQ(numbers.size(), 2u);
  EXPECT_EQ(numbers[0].restricted_to_partner, partner.id);  // kept its restriction
  EXPECT_EQ(numbers[0].added, "2024-01-15 12:00:00");
  EXPECT_FALSE(numbers[1].restricted_to_partner);
  EXPECT_THROW(store_->numbers().add_numbers({"+46103"}, 9999), NotFoundError);
}

TEST_F(SqlStoreTest, NumbersListByDerivedStateAndVisibility) {
  const auto a = make_partner("acme", 1);
  const auto b = make_partner("globex");
  store_->numbers().add_numbers({"+46101", "+46102", "+46103"}, std::nullopt);
  store_->numbers().add_numbers({"+46201"}, a.id);
  store_->numbers().add_numbers({"+46301"}, b.id);
  const auto customer = make_customer(a.id, "K-1");
  const auto held = make_source(customer, where(&NumberRequest::tracking_number, "+46101"));
  auto quarantined = make_source(customer, where(&NumberRequest::tracking_number, "+46102"));
  quarantined.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(quarantined);

  EXPECT_EQ(numbers_in(NumberState::allocated), std::vector<std::string>{"+46101"});
  EXPECT_EQ(numbers_in(NumberState::quarantined), std::vector<std::string>{"+46102"});
  EXPECT_EQ(numbers_in(NumberState::free),
            (std::vector<std::string>{"+46103", "+46201", "+46301"}));
  const auto allocated = store_->numbers().list_numbers(NumberState::allocated, std::nullopt).at(0);
  EXPECT_EQ(allocated.source_id, held.id);
  EXPECT_EQ(allocated.partner_id, a.id);

  EXPECT_EQ(numbers_in(std::nullopt, a.id),
            (std::vector<std::string>{"+46101", "+46102", "+46103", "+46201"}));
  EXPECT_EQ(numbers_in(std::nullopt, b.id), (std::vector<std::string>{"+46103", "+46301"}));
  EXPECT_EQ(numbers_in(NumberState::free, b.id), (std::vector<std::string>{"+46103", "+46301"}));

  clock_.advance(days(1));  // quarantine over: free again, though not swept yet
  const auto free_now = store_->numbers().list_numbers(NumberState::free, std::nullopt);
  ASSERT_EQ(free_now.at(0).number, "+46102");
  EXPECT_FALSE(free_now.at(0).source_id);
  EXPECT_EQ(numbers_in(NumberState::free, b.id),
            (std::vector<std::string>{"+46102", "+46103", "+46301"}));
}

TEST_F(SqlStoreTest, RemoveNumberRefusedUnlessFree) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46101", "+46102"}, std::nullopt);
  make_source(make_customer(partner.id, "K-1"), where(&NumberRequest::tracking_number, "+46101"));
  try {
    store_->numbers().remove_number("+46101");
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "allocated");
    EXPECT_EQ(e.field(), "number");
  }
  EXPECT_THROW(store_->numbers().remove_number("+46999"), NotFoundError);
  store_->numbers().remove_number("+46102");
  EXPECT_EQ(numbers_in(std::nullopt), std::vector<std::string>{"+46101"});
}

// ---- source creation and number allocation ----

TEST_F(SqlStoreTest, CreateSourcePicksRequestedThenPrefixThenLowestFreeNumber) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46701", "+46702", "+46801", "+46802", "+46803"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  EXPECT_EQ(make_source(customer, where(&NumberRequest::tracking_number, "+46802")).tracking_number,
            "+46802");
  EXPECT_EQ(make_source(customer, where(&NumberRequest::prefix, "+468")).tracking_number, "+46801");
  EXPECT_EQ(make_source(customer, where(&NumberRequest::prefix, "+468")).tracking_number, "+46803");
  EXPECT_EQ(make_source(customer).tracking_number, "+46701");
  EXPECT_THROW(make_source(customer, where(&NumberRequest::tracking_number, "+46802")),
               ConflictError);
  EXPECT_THROW(make_source(customer, where(&NumberRequest::prefix, "+468")), ConflictError);
  EXPECT_THROW(make_source(customer, where(&NumberRequest::prefix, "+4%")),
               ConflictError);  // no LIKE wildcards
  EXPECT_EQ(make_source(customer).tracking_number, "+46702");
}

TEST_F(SqlStoreTest, CreateSourceStoresEveryFieldAndFillsGeneratedOnes) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  Source s = source_for(customer);
  s.email = "alerts@example.se";
  s.campaign_id = 42;
  s.vm_divert_busy = 1;
  s.source_class = 3;
  s.lifecycle.expire = at("2024-03-01 00:00:00");
  s.lifecycle.expires_at = at("2024-03-01 23:00:00");
  s.alt_numbers = {{"", "+46700000001", 0x1f, 480, 1020}, {"ignored", "voicemail", 0x60, 0, 1440}};
  const auto created = store_->sources().create_source(s, {});
  EXPECT_EQ(created.tracking_number, "+46101");
  EXPECT_EQ(created.created, "2024-01-15 12:00:00");
  ASSERT_EQ(created.alt_numbers.size(), 2u);
  EXPECT_FALSE(created.alt_numbers[0].alt_key.empty());
  EXPECT_NE(created.alt_numbers[1].alt_key, "ignored");
  EXPECT_EQ(created.alt_numbers[1].answering_number, "voicemail");

  const auto found = store_->sources().find_source(partner.id, created.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->email, "alerts@example.se");
  EXPECT_EQ(found->campaign_id, 42);
  EXPECT_FALSE(found->publisher_id);
  EXPECT_EQ(found->vm_divert_busy, 1);
  EXPECT_EQ(found->source_class, 3);
  EXPECT_EQ(found->lifecycle.activation, clock_.now());
  EXPECT_EQ(found->lifecycle.expires_at, s.lifecycle.expires_at);
  EXPECT_FALSE(found->lifecycle.deleted_at);
  EXPECT_EQ(found->alt_numbers[0].alt_key, created.alt_numbers[0].alt_key);
  EXPECT_EQ(found->alt_numbers[0].weekdays, 0x1f);
  EXPECT_EQ(found->alt_numbers[0].to_minute, 1020);
}

TEST_F(SqlStoreTest, ManyAlternativeNumberRulesComeBackInTheirOrder) {
  const auto partner = make_partner("acme");
  const auto customer = make_customer(partner.id, "K-1");
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  Source s = source_for(customer);
  // More than ten, so an order by text ("10" before "2") would show.
  for (int i = 0; i < 12; ++i) {
    s.alt_numbers.push_back({"", "+4670000" + std::to_string(1000 + i), 1, i, i + 1});
  }
  const auto created = store_->sources().create_source(s, {});
  const auto found = store_->sources().find_source(partner.id, created.id);
  ASSERT_TRUE(found);
  SourceFilter filter;
  filter.source_id = created.id;
  const auto listed = store_->sources().list_sources(partner.id, filter, {});
  ASSERT_EQ(listed.items.size(), 1u);
  for (const auto& read : {*found, listed.items[0]}) {
    ASSERT_EQ(read.alt_numbers.size(), 12u);
    for (int i = 0; i < 12; ++i) {
      EXPECT_EQ(read.alt_numbers[i].answering_number, s.alt_numbers[i].answering_number) << i;
      EXPECT_EQ(read.alt_numbers[i].from_minute, i);
      EXPECT_EQ(read.alt_numbers[i].alt_key, created.alt_numbers[i].alt_key);
    }
  }
}

TEST_F(SqlStoreTest, AListedPageGivesEachSourceItsOwnRulesAndNoOneElses) {
  const auto a = make_partner("acme");
  const auto b = make_partner("globex");
  store_->numbers().add_numbers({"+46101", "+46102", "+46103", "+46104"}, std::nullopt);
  const auto customer_a = make_customer(a.id, "K-1");
  const auto customer_b = make_customer(b.id, "K-1");
  // Ids interleave: acme's first and last source hold globex's and a filtered-out one between.
  const auto with_rules = [](Source s, const std::string& number) {
    s.alt_numbers = {{"", number, 0x1f, 480, 1020}, {"", number + "9", 0x60, 0, 1440}};
    return s;
  };
  const auto first =
      store_->sources().create_source(with_rules(source_for(customer_a), "+46700000001"), {});
  store_->sources().create_source(with_rules(source_for(customer_b), "+46700000002"), {});
  Source other_class = with_rules(source_for(customer_a), "+46700000003");
  other_class.source_class = 7;
  store_->sources().create_source(other_class, {});
  const auto last =
      store_->sources().create_source(with_rules(source_for(customer_a), "+46700000004"), {});

  SourceFilter filter;
  filter.source_class = first.source_class;
  const auto page = store_->sources().list_sources(a.id, filter, {0, 10});
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.total, 2);
  for (const auto& [listed, number] :
       {std::pair{page.items[0], "+46700000001"}, std::pair{page.items[1], "+46700000004"}}) {
    ASSERT_EQ(listed.alt_numbers.size(), 2u) << listed.id;
    EXPECT_EQ(listed.alt_numbers[0].answering_number, number);
    EXPECT_EQ(listed.alt_numbers[1].answering_number, std::string(number) + "9");
    EXPECT_EQ(listed.alt_numbers[1].weekdays, 0x60);
  }
  EXPECT_EQ(page.items[0].id, first.id);
  EXPECT_EQ(page.items[1].id, last.id);
  EXPECT_EQ(page.items[1].alt_numbers[0].alt_key, last.alt_numbers[0].alt_key);
}

TEST_F(SqlStoreTest, RestrictedNumbersGoOnlyToTheirPartner) {
  const auto a = make_partner("acme");
  const auto b = make_partner("globex");
  store_->numbers().add_numbers({"+46101"}, a.id);
  const auto cb = make_customer(b.id, "K-1");
  EXPECT_THROW(make_source(cb), ConflictError);
  EXPECT_THROW(make_source(cb, where(&NumberRequest::tracking_number, "+46101")), ConflictError);
  EXPECT_EQ(make_source(make_customer(a.id, "K-1")).tracking_number, "+46101");
}

TEST_F(SqlStoreTest, NoFreeNumberWritesNothing) {
  const auto partner = make_partner("acme");
  const auto customer = make_customer(partner.id, "K-1");
  Source s = source_for(customer);
  s.alt_numbers = {{"", "+46700000001", 1, 0, 60}};
  try {
    store_->sources().create_source(s, {});
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "no_free_number");
    EXPECT_EQ(e.field(), "destnr");
  }
  EXPECT_EQ(store_->sources().list_sources(partner.id, {}, {}).total, 0);
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto created = store_->sources().create_source(s, {});
  EXPECT_EQ(created.alt_numbers.size(), 1u);
  EXPECT_EQ(store_->sources().list_sources(partner.id, {}, {}).total, 1);
}

TEST_F(SqlStoreTest, ConcurrentCreatesNeverShareANumber) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46101", "+46102", "+46103", "+46104", "+46105"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  const Source request = source_for(customer);
  constexpr int kThreads = 8;
  std::atomic<int> conflicts{0};
  std::vector<std::string> numbers(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        numbers[i] = store_->sources().create_source(request, {}).tracking_number;
      } catch (const ConflictError&) {
        ++conflicts;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct;
  for (const auto& n : numbers) {
    if (!n.empty()) distinct.insert(n);
  }
  EXPECT_EQ(conflicts.load(), kThreads - 5);
  EXPECT_EQ(distinct.size(), 5u);
  EXPECT_EQ(store_->sources().list_sources(partner.id, {}, {}).total, 5);
  EXPECT_EQ(numbers_in(NumberState::allocated).size(), 5u);
}

// Two stores on one file behave like two server processes: SQLite's file lock, not the
// in-process mutex, must keep them from sharing a number.
TEST_F(SqlStoreTest, ConcurrentCreatesThroughTwoConnectionsNeverShareANumber) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46101", "+46102", "+46103", "+46104", "+46105"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  const Source request = source_for(customer);
  const auto second_store = open_store(database_.location(), clock_);
  Store& second = *second_store;
  std::atomic<int> errors{0};
  std::vector<std::string> numbers(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    Store& store = i % 2 == 0 ? *store_ : second;
    threads.emplace_back([&, i] {
      try {
        numbers[i] = store.sources().create_source(request, {}).tracking_number;
      } catch (const ConflictError&) {
      } catch (const StoreError&) {
        ++errors;  // e.g. a lost lock upgrade: the write lock was not taken up front
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<std::string> distinct;
  int successes = 0;
  for (const auto& n : numbers) {
    if (n.empty()) continue;
    ++successes;
    distinct.insert(n);
  }
  EXPECT_EQ(successes, 5);
  EXPECT_EQ(distinct.size(), 5u);
}

// ---- sources: listing and updating ----

TEST_F(SqlStoreTest, ListSourcesFiltersAndPages) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46101", "+46102", "+46103", "+46104"}, std::nullopt);
  const auto c1 = make_customer(partner.id, "K-1");
  const auto c2 = make_customer(partner.id, "K-2");
  Source with_campaign = source_for(c1);
  with_campaign.campaign_id = 7;
  with_campaign.source_class = 2;
  const auto s1 = store_->sources().create_source(with_campaign, {});
  const auto s2 = make_source(c1);
  const auto s3 = make_source(c2);
  const auto s4 = make_source(c2);

  EXPECT_EQ(source_ids(partner.id, where(&SourceFilter::customer_id, c2.id)),
            (std::vector<Id>{s3.id, s4.id}));
  EXPECT_EQ(source_ids(partner.id, where(&SourceFilter::custnr, "K-1")),
            (std::vector<Id>{s1.id, s2.id}));
  EXPECT_EQ(source_ids(partner.id, where(&SourceFilter::tracking_number, "+46102")),
            std::vector<Id>{s2.id});
  EXPECT_EQ(source_ids(partner.id, where(&SourceFilter::campaign_id, 7)), std::vector<Id>{s1.id});
  EXPECT_EQ(source_ids(partner.id, where(&SourceFilter::source_class, 2)), std::vector<Id>{s1.id});
  EXPECT_EQ(source_ids(partner.id, where(&SourceFilter::source_id, s3.id)), std::vector<Id>{s3.id});
  const auto page = store_->sources().list_sources(partner.id, {}, {.page = 1, .pagesize = 3});
  EXPECT_EQ(page.total, 4);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, s4.id);
}

TEST_F(SqlStoreTest, UpdateSourceKeepsAltKeysAndNeverMovesTheNumber) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46101", "+46102"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  const auto other_customer = make_customer(partner.id, "K-2");
  Source s = source_for(customer);
  s.alt_numbers = {{"", "+46700000001", 1, 0, 60}, {"", "+46700000002", 2, 60, 120}};
  const auto created = store_->sources().create_source(s, {});

  clock_.advance(hours(2));
  Source change = created;
  change.name = "print";
  change.tracking_number = "+46102";
  change.customer_id = other_customer.id;
  change.publisher_id = 5;
  change.alt_numbers = {created.alt_numbers[1], {"", "+46700000003", 4, 0, 1440}};
  change.alt_numbers[0].to_minute = 180;
  const auto updated = store_->sources().update_source(change);
  EXPECT_EQ(updated.name, "print");
  EXPECT_EQ(updated.tracking_number, "+46101");
  EXPECT_EQ(updated.customer_id, customer.id);
  EXPECT_EQ(updated.publisher_id, 5);
  EXPECT_EQ(updated.modified, "2024-01-15 14:00:00");
  EXPECT_EQ(updated.created, "2024-01-15 12:00:00");
  ASSERT_EQ(updated.alt_numbers.size(), 2u);
  EXPECT_EQ(updated.alt_numbers[0].alt_key, created.alt_numbers[1].alt_key);
  EXPECT_EQ(updated.alt_numbers[0].to_minute, 180);
  EXPECT_NE(updated.alt_numbers[1].alt_key, created.alt_numbers[0].alt_key);
  EXPECT_NE(updated.alt_numbers[1].alt_key, created.alt_numbers[1].alt_key);
  EXPECT_EQ(store_->sources().find_source(partner.id, created.id)->alt_numbers[1].alt_key,
            updated.alt_numbers[1].alt_key);
}

// find_source answers from memory (RecentRows) while no write of this node ended since its read:
// each kind of write below must be seen by the very next read, with nothing in between.
TEST_F(SqlStoreTest, ASourceReadFromMemorySeesEveryChangeOfThisNodeAtOnce) {
  const auto partner = make_partner("acme", 1);
  const auto other = make_partner("other");
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  const auto created = make_source(customer);
  ASSERT_EQ(store_->sources().find_source(partner.id, created.id)->name, "web");
  ASSERT_EQ(store_->sources().find_source(partner.id, created.id)->name, "web");  // from memory
  EXPECT_FALSE(store_->sources().find_source(other.id, created.id));

  Source renamed = created;
  renamed.name = "print";
  renamed.alt_numbers = {{"", "+46700000001", 1, 0, 60}};
  store_->sources().update_source(renamed);
  auto found = store_->sources().find_source(partner.id, created.id);
  EXPECT_EQ(found->name, "print");
  ASSERT_EQ(found->alt_numbers.size(), 1u);
  EXPECT_EQ(found->alt_numbers[0].answering_number, "+46700000001");

  store_->sources().change_source(partner.id, created.id, [](Source& s, ChangeLookups&) {
    s.media = "radio";
    return true;
  });
  EXPECT_EQ(store_->sources().find_source(partner.id, created.id)->media, "radio");

  // A change that wrote nothing and threw still ends a write transaction: the next read is
  // from the database again, and finds what it found before.
  EXPECT_THROW(store_->sources().change_source(partner.id, created.id,
                                               [](Source&, ChangeLookups&) -> bool {
                                                 throw ConflictError("probe", "", "no change");
                                               }),
               ConflictError);
  EXPECT_EQ(store_->sources().find_source(partner.id, created.id)->media, "radio");

  // Deleted, then, past its quarantine, gone with its customer.
  store_->sources().change_source(partner.id, created.id, [&](Source& s, ChangeLookups&) {
    s.lifecycle.deleted_at = clock_.now();
    return true;
  });
  EXPECT_TRUE(store_->sources().find_source(partner.id, created.id)->lifecycle.deleted_at);
  clock_.advance(days(1));
  store_->customers().delete_customer(partner.id, customer.id);
  EXPECT_FALSE(store_->sources().find_source(partner.id, created.id));
}

TEST_F(SqlStoreTest, ArchivedSourceCannotBeRevivedAfterItsNumberMovedOn) {
  const auto partner = make_partner("acme", 1);
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  auto old = make_source(customer);
  old.lifecycle.deleted_at = clock_.now();
  old = store_->sources().update_source(old);
  clock_.advance(days(1));
  make_source(customer, where(&NumberRequest::tracking_number, "+46101"));
  old.lifecycle.deleted_at.reset();
  try {
    store_->sources().update_source(old);
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), "archived");
  }
  EXPECT_TRUE(store_->sources().find_source(partner.id, old.id)->lifecycle.deleted_at);
}

// ---- lifecycle: SQL status derivation agrees with core::derive_status ----

TEST_F(SqlStoreTest, SqlStatusAgreesWithDeriveStatusThroughEveryTransition) {
  constexpr int kQuarantineDays = 2;
  const auto partner = make_partner("acme", kQuarantineDays);
  const auto customer = make_customer(partner.id, "K-1");
  const TimePoint t0 = clock_.now();
  std::vector<SourceLifecycle> lifecycles;
  const auto add = [&](auto edit) {
    SourceLifecycle life;
    life.activation = t0;
    edit(life);
    lifecycles.push_back(life);
  };
  add([&](auto& l) { l.reserved_until = t0 + hours(1); });  // reserved -> archived
  add([&](auto& l) { l.activation = t0 + days(1); });       // upcoming -> active
  add([&](auto& l) { l.deleted_at = t0 + hours(2); });      // active -> quarantined
  add([&](auto& l) { l.expires_at = t0 + hours(3); });      // expiry
  add([&](auto& l) { l.deleted_at = t0 + hours(5), l.expires_at = t0 + hours(4); });
  add([&](auto& l) { l.deleted_at = t0 + hours(4), l.expires_at = t0 + hours(6); });
  add([&](auto& l) { l.reserved_until = t0 + days(9), l.deleted_at = t0 + hours(1); });
  add([&](auto& l) { l.activation = t0 + days(3), l.expires_at = t0 + days(1); });
  add([&](auto& l) { l.archived_at = t0 + hours(1); });

  std::vector<std::string> pool;
  for (std::size_t i = 0; i < lifecycles.size(); ++i) pool.push_back("+4610" + std::to_string(i));
  store_->numbers().add_numbers(pool, std::nullopt);
  std::vector<Source> sources;
  for (const auto& life : lifecycles) {
    Source s = source_for(customer);
    s.lifecycle = life;
    sources.push_back(store_->sources().create_source(s, {}));
  }

  // Every instant a rule turns on, and one second either side.
  std::set<TimePoint> instants;
  for (const auto& l : lifecycles) {
    std::vector<std::optional<TimePoint>> edges = {l.activation, l.reserved_until, l.archived_at};
    if (const auto start = quarantine_start(l)) {
      edges.push_back(start);
      edges.push_back(*start + days(kQuarantineDays));
    }
    for (const auto& edge : edges) {
      if (!edge) continue;
      for (const auto delta : {seconds(-1), seconds(0), seconds(1)}) instants.insert(*edge + delta);
    }
  }

  std::set<SourceStatus> seen;
  for (const auto now : instants) {
    clock_.set(now);
    std::map<Id, std::string> number_states;
    for (const auto& n : store_->numbers().list_numbers(std::nullopt, std::nullopt)) {
      number_states[n.source_id.value_or(0)] = std::string(to_string(n.state));
    }
    for (const auto status : {SourceStatus::reserved, SourceStatus::upcoming, SourceStatus::active,
                              SourceStatus::quarantined, SourceStatus::archived}) {
      const auto listed = source_ids(partner.id, where(&SourceFilter::status, status));
      for (const auto& s : sources) {
        const auto expected = derive_status(s.lifecycle, now, kQuarantineDays);
        const bool in_list = std::find(listed.begin(), listed.end(), s.id) != listed.end();
        EXPECT_EQ(in_list, expected == status)
            << "source " << s.id << " at " << format_utc(now) << ": C++ says "
            << to_string(expected) << ", SQL filter for " << to_string(status) << " disagrees";
      }
    }
    for (const auto& s : sources) {
      const auto expected = derive_status(s.lifecycle, now, kQuarantineDays);
      seen.insert(expected);
      const bool free = expected == SourceStatus::archived;
      EXPECT_EQ(number_states.contains(s.id), !free)
          << "source " << s.id << " at " << format_utc(now);
      if (!free) {
        EXPECT_EQ(number_states[s.id],
                  expected == SourceStatus::quarantined ? "quarantined" : "allocated");
      }
    }
  }
  EXPECT_EQ(seen.size(), 5u);  // the scenarios visit every status
}

// ---- sweep and reallocation ----

TEST_F(SqlStoreTest, SweepArchivesOnceAndReleasesTheNumberForReuse) {
  const auto partner = make_partner("acme", 1);
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  auto source = make_source(customer);
  EXPECT_EQ(store_->sources().sweep_sources(), 0);
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  EXPECT_EQ(store_->sources().sweep_sources(), 0);  // quarantined: keeps its number

  clock_.advance(days(1));
  EXPECT_EQ(store_->sources().sweep_sources(), 1);
  EXPECT_EQ(store_->sources().sweep_sources(), 0);
  const auto swept = store_->sources().find_source(partner.id, source.id);
  EXPECT_EQ(swept->lifecycle.archived_at, clock_.now());
  EXPECT_EQ(source_ids(partner.id, where(&SourceFilter::status, SourceStatus::archived)),
            std::vector<Id>{source.id});
  const auto free = store_->numbers().list_numbers(NumberState::free, std::nullopt);
  ASSERT_EQ(free.size(), 1u);
  EXPECT_FALSE(free[0].source_id);

  const auto next = make_source(customer);
  EXPECT_EQ(next.tracking_number, "+46101");
  EXPECT_EQ(store_->numbers().list_numbers(NumberState::allocated, std::nullopt).at(0).source_id,
            next.id);
  EXPECT_EQ(store_->sources().sweep_sources(), 0);
}

// Makes the database refuse every update of one source, as a constraint, a trigger of the
// operator's or a damaged row would: what the sweep must survive without help.
void refuse_updates_of_source(const TestDatabase& database, Id source_id) {
  auto raw = database.open_raw();
  SqlTransaction tx(*raw, TxMode::write);
  const std::string id = std::to_string(source_id);
  if (testing_postgres()) {
    raw->exec(
        "CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'refused'; END $$;"
        " CREATE TRIGGER refuse_source BEFORE UPDATE ON sources FOR EACH ROW WHEN (OLD.id = " +
        id + ") EXECUTE FUNCTION refuse_update()");
  } else {
    raw->exec("CREATE TRIGGER refuse_source BEFORE UPDATE ON sources WHEN OLD.id = " + id +
              " BEGIN SELECT RAISE(ABORT, 'refused'); END");
  }
  tx.commit();
}

// The source the numbers table says holds `number` (the sweep clears it on archiving).
std::optional<Id> holder_of(const TestDatabase& database, const std::string& number) {
  auto raw = database.open_raw();
  SqlTransaction tx(*raw, TxMode::read);
  auto row = raw->prepare("SELECT holder_source_id FROM numbers WHERE number = :number");
  row.bind(":number", number);
  if (!row.step()) return std::nullopt;
  return row.optional_int64(0);
}

void allow_updates_of_sources(const TestDatabase& database) {
  auto raw = database.open_raw();
  SqlTransaction tx(*raw, TxMode::write);
  raw->exec(testing_postgres() ? "DROP TRIGGER refuse_source ON sources"
                               : "DROP TRIGGER refuse_source");
  tx.commit();
}

TEST_F(SqlStoreTest, SweepGoesOnPastASourceThatFailsAndRetriesItNextTime) {
  const auto acme = make_partner("acme", 1);
  const auto globex = make_partner("globex", 1);
  store_->numbers().add_numbers({"+46101", "+46102"}, std::nullopt);
  auto failing = make_source(make_customer(acme.id, "K-1"));
  auto fine = make_source(make_customer(globex.id, "K-2"));
  for (auto* source : {&failing, &fine}) {
    source->lifecycle.deleted_at = clock_.now();
    store_->sources().update_source(*source);
  }
  refuse_updates_of_source(database_, failing.id);
  clock_.advance(days(1));

  std::vector<Id> failed;
  const auto record_failure = [&](Id source_id, const std::exception&) {
    failed.push_back(source_id);
  };
  EXPECT_EQ(store_->sources().sweep_sources(record_failure), 1);
  EXPECT_EQ(failed, std::vector<Id>{failing.id});
  EXPECT_TRUE(store_->sources().find_source(globex.id, fine.id)->lifecycle.archived_at);
  // The failed source's transaction left nothing behind: no archived_at, number still held,
  // no status change announced.
  EXPECT_FALSE(store_->sources().find_source(acme.id, failing.id)->lifecycle.archived_at);
  EXPECT_EQ(holder_of(database_, failing.tracking_number), failing.id);
  EXPECT_EQ(holder_of(database_, fine.tracking_number), std::nullopt);
  const auto acme_events = store_->webhooks().events_after(acme.id, 0, 100).value();
  for (const auto& event : acme_events) EXPECT_NE(event.type, "source.status_changed");
  EXPECT_THROW(store_->sources().sweep_sources(), StoreError);  // no handler: the failure is thrown

  allow_updates_of_sources(database_);
  EXPECT_EQ(store_->sources().sweep_sources(record_failure), 1);
  EXPECT_EQ(failed.size(), 1u);
  EXPECT_TRUE(store_->sources().find_source(acme.id, failing.id)->lifecycle.archived_at);
  EXPECT_EQ(holder_of(database_, failing.tracking_number), std::nullopt);
}

TEST_F(SqlStoreTest, QuarantinedNumberIsNotReallocatedBeforeQuarantineEnds) {
  const auto partner = make_partner("acme", 2);
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  auto source = make_source(customer);
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);

  clock_.advance(days(2) - seconds(1));
  store_->sources().sweep_sources();
  EXPECT_THROW(make_source(customer), ConflictError);
  EXPECT_THROW(make_source(customer, where(&NumberRequest::tracking_number, "+46101")),
               ConflictError);
  EXPECT_THROW(store_->numbers().remove_number("+46101"), ConflictError);

  clock_.advance(seconds(1));  // quarantine over; no sweep needed to reuse the number
  EXPECT_EQ(make_source(customer, where(&NumberRequest::tracking_number, "+46101")).tracking_number,
            "+46101");
  EXPECT_EQ(store_->sources().sweep_sources(), 1);  // the old source still gets its archived_at
  EXPECT_EQ(numbers_in(NumberState::allocated), std::vector<std::string>{"+46101"});
}

TEST_F(SqlStoreTest, ExpiredReservationReleasesTheNumber) {
  const auto partner = make_partner("acme");
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const auto customer = make_customer(partner.id, "K-1");
  Source reserved = source_for(customer);
  reserved.lifecycle.reserved_until = clock_.now() + hours(1);
  store_->sources().create_source(reserved, {});
  EXPECT_THROW(make_source(customer), ConflictError);
  clock_.advance(hours(1));
  EXPECT_EQ(make_source(customer).tracking_number, "+46101");
}

}  // namespace
}  // namespace callsight
