// PostgreSQL keeps one generic plan of the reads a request repeats (issue 18 item 4): a
// prepared statement whose generic plan it estimates dearer than its custom plans is planned
// afresh on every execution, which was most of PostgreSQL's CPU for a source read. The
// session's own pg_prepared_statements counts, per statement, the executions that used the
// generic plan and those that planned anew. SQLite has no such plans: these tests skip.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/call_record.hpp"
#include "store/call_record_store.hpp"
#include "store/postgres/pg_database.hpp"
#include "store/sql/sql_database.hpp"
#include "store/sql/sql_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

struct PlanCounts {
  std::int64_t statements = 0;  // prepared statements that matched
  std::int64_t generic = 0;
  std::int64_t custom = 0;
};

class SqlPlanCacheTest : public SqlStoreFixture {
 protected:
  // The store on a pool of one connection, so that every read runs in the session whose
  // prepared statements plan_counts reads.
  void SetUp() override {
    if (!testing_postgres()) GTEST_SKIP() << "prepared statements' plans are PostgreSQL's";
    store_.reset();
    auto database = std::make_unique<PgDatabase>(database_.location(), 1);
    pg_ = database.get();
    store_ = std::make_unique<SqlStore>(std::move(database), clock_);
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
  }

  PlanCounts plan_counts(const std::string& statement_like) {
    SqlTransaction tx(*pg_, TxMode::read);
    auto stmt = pg_->prepare(
        "SELECT COUNT(*), CAST(COALESCE(SUM(generic_plans), 0) AS BIGINT),"
        " CAST(COALESCE(SUM(custom_plans), 0) AS BIGINT) FROM pg_prepared_statements"
        " WHERE statement LIKE :pattern");
    stmt.bind(":pattern", statement_like);
    stmt.step();
    return {stmt.int64(0), stmt.int64(1), stmt.int64(2)};
  }

  // Executions of the session's prepared statements, this count's own left out.
  std::int64_t executions() {
    SqlTransaction tx(*pg_, TxMode::read);
    auto stmt = pg_->prepare(
        "SELECT CAST(COALESCE(SUM(generic_plans + custom_plans), 0) AS BIGINT)"
        " FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'");
    stmt.step();
    return stmt.int64(0);
  }

  // PostgreSQL plans a statement's first five executions with their parameters' values; from
  // the sixth it keeps the generic plan unless that is estimated dearer.
  static constexpr int kExecutions = 12;

  PgDatabase* pg_ = nullptr;
  Id partner_ = 0;
  Id customer_ = 0;
};

TEST_F(SqlPlanCacheTest, SourceReadByIdKeepsItsGenericPlan) {
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const Id source_id = make_source(partner_, customer_, "+46101").id;
  SourceFilter filter;
  filter.source_id = source_id;
  for (int i = 0; i < kExecutions; ++i) {
    ASSERT_EQ(store_->sources().list_sources(partner_, filter, {}).items.size(), 1U);
  }
  const auto plans = plan_counts("SELECT s.id, s.partner_id,% FROM sources s JOIN partners p%");
  ASSERT_EQ(plans.statements, 1);
  EXPECT_EQ(plans.generic + plans.custom, kExecutions);
  EXPECT_EQ(plans.custom, 5) << "the source list is planned afresh on each execution";
}

// Issue 18 item 4: a read that needs one round trip takes one. A source's alternative
// numbers come in the source's own statement, not in a second one after it.
TEST_F(SqlPlanCacheTest, ASourceAndItsAlternativeNumbersAreOneStatement) {
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const Id source_id =
      make_source(partner_, customer_, "+46101",
                  {{"", "+46700000001", 1, 0, 60}, {"", "+46700000002", 2, 60, 120}})
          .id;
  SourceFilter filter;
  filter.source_id = source_id;
  const auto before = executions();
  const auto read = store_->sources().list_sources(partner_, filter, {});
  ASSERT_EQ(read.items.size(), 1U);
  EXPECT_EQ(read.items[0].alt_numbers.size(), 2U);
  EXPECT_EQ(executions() - before, 1);
}

// GET /sources?source_id reads the source alone (find_source), with its alternative numbers
// in the same statement, planned once and run from the generic plan after that.
TEST_F(SqlPlanCacheTest, SourceReadAloneIsOneStatementWithItsGenericPlan) {
  store_->numbers().add_numbers({"+46101"}, std::nullopt);
  const Id source_id =
      make_source(partner_, customer_, "+46101", {{"", "+46700000001", 1, 0, 60}}).id;
  const auto before = executions();
  const auto read = store_->sources().find_source(partner_, source_id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->alt_numbers.size(), 1U);
  EXPECT_EQ(executions() - before, 1);
  // Read again with no write in between, it comes from memory (store/sql/recent_rows.hpp).
  const auto again = executions();
  ASSERT_TRUE(store_->sources().find_source(partner_, source_id).has_value());
  EXPECT_EQ(executions() - again, 0);
  for (int i = 1; i < kExecutions; ++i) {
    // Any write that ends (here of another table) and the next read runs its statement.
    store_->numbers().add_numbers({"+4620" + std::to_string(i)}, std::nullopt);
    ASSERT_TRUE(store_->sources().find_source(partner_, source_id).has_value());
  }
  const auto plans = plan_counts(
      "SELECT s.id, s.partner_id,% FROM sources s WHERE s.id = % AND s.number_kind = 'static'");
  ASSERT_EQ(plans.statements, 1);
  EXPECT_EQ(plans.generic + plans.custom, kExecutions);
  EXPECT_EQ(plans.custom, 5) << "the source read is planned afresh on each execution";
}

TEST_F(SqlPlanCacheTest, FirstPageOfCallRecordsKeepsItsGenericPlan) {
  for (int i = 0; i < 3; ++i) {
    CallRecord r;
    r.partner_id = partner_;
    r.customer_id = customer_;
    r.switch_call_id = "call-" + std::to_string(i);
    r.caller = "+46701234567";
    r.tracking_number = "+46812345678";
    r.answering_number = "+46890510";
    r.start = clock_.now() + std::chrono::seconds(i);
    store_->calls().record_call(r);
  }
  for (int i = 0; i < kExecutions; ++i) {
    ASSERT_EQ(store_->calls().list_calls(partner_, {}, {0, 100}).items.size(), 3U);
  }
  const auto plans = plan_counts("SELECT id, partner_id, customer_id, source_id,% FROM cdrs%");
  ASSERT_EQ(plans.statements, 1);
  EXPECT_EQ(plans.generic + plans.custom, kExecutions);
  EXPECT_EQ(plans.custom, 5) << "the CDR page is planned afresh on each execution";
}

}  // namespace
}  // namespace callsight
