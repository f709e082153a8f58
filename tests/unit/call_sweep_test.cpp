// The call sweep (app/call_sweep): named CallRouter* so that it also runs on PostgreSQL
// (tests/CMakeLists.txt, unit.store_on_postgres).
#include "switch/call_sweep.hpp"

#include <gtest/gtest.h>

#include "app/job_rows.hpp"
#include "store/call_record_store.hpp"
#include "store/number_store.hpp"
#include "store_test_support.hpp"

namespace callsight::switching {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class CallRouterSweepTest : public SqlStoreFixture {
 protected:
  CallRouterSweepTest()
      : router_(*store_, clock_, metrics_),
        sweep_(router_, *store_, clock_, hours(4), metrics_,
               row_failures_.handler("call_sweep", "cdr")) {
    const auto partner = make_partner("acme");
    const auto customer = make_customer(partner, "K-1");
    store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
    make_source(partner, customer, "+46812345678");
  }

  Id call(const std::string& id) {
    return *router_.route({id, "0701234567", "+46812345678"}).cdr_id;
  }

  CallStatus status_of(const std::string& id) {
    return call_status(*store_->calls().find_call_by_switch_id(id));
  }

  bool metrics_show(const std::string& sample_line) const {
    return metrics_.render().find("\n" + sample_line + "\n") != std::string::npos;
  }

  MetricsRegistry metrics_;
  app::JobRowFailures row_failures_{metrics_};
  CallRouter router_;
  CallSweep sweep_;
};

TEST_F(CallRouterSweepTest, ClosesOnlyCallsOpenForTheMaximumCallLength) {
  call("old");
  clock_.advance(hours(1));
  call("newer");
  clock_.advance(hours(3));  // "old" is 4 h old now, "newer" 3 h
  EXPECT_EQ(sweep_.run_once(), 1);
  EXPECT_EQ(status_of("old"), CallStatus::unknown);
  EXPECT_EQ(status_of("newer"), CallStatus::in_progress);
  EXPECT_EQ(sweep_.run_once(), 0);  // nothing closes twice
  clock_.advance(hours(1));
  EXPECT_EQ(sweep_.run_once(), 1);
  EXPECT_EQ(status_of("newer"), CallStatus::unknown);
  EXPECT_TRUE(metrics_show("callsight_call_sweep_closed_total 2"));
  EXPECT_TRUE(metrics_show("callsight_job_row_failures_total{job=\"call_sweep\"} 0"));
}

TEST_F(CallRouterSweepTest, ARowThatFailsIsCountedAndSkippedAndTheOthersAreClosed) {
  call("first");
  const auto broken = call("broken");
  call("last");
  // A row no version writes: reading it fails (an unknown direction).
  const auto raw = database_.open_raw();
  {
    SqlTransaction tx(*raw, TxMode::write);
    raw->prepare("UPDATE cdrs SET direction = 'sideways' WHERE id = :id").bind(":id", broken).run();
    tx.commit();
  }
  clock_.advance(hours(4) + minutes(1));
  EXPECT_EQ(sweep_.run_once(), 2);
  EXPECT_EQ(status_of("first"), CallStatus::unknown);
  EXPECT_EQ(status_of("last"), CallStatus::unknown);
  EXPECT_TRUE(metrics_show("callsight_job_row_failures_total{job=\"call_sweep\"} 1"));
  EXPECT_EQ(sweep_.run_once(), 0);  // the broken row is tried again, and skipped again
  EXPECT_TRUE(metrics_show("callsight_job_row_failures_total{job=\"call_sweep\"} 2"));
}

TEST_F(CallRouterSweepTest, RowsThatKeepFailingDoNotKeepTheCallsBehindThemOpen) {
  // A batch of two, both rows of which fail every pass: the call behind them is listed
  // on top of the failing ones in the next pass and closed.
  CallSweep small(router_, *store_, clock_, hours(4), metrics_,
                  row_failures_.handler("call_sweep", "cdr"), /*batch=*/2);
  const auto raw = database_.open_raw();
  for (const auto* id : {"broken-1", "broken-2"}) {
    const auto broken = call(id);
    SqlTransaction tx(*raw, TxMode::write);
    raw->prepare("UPDATE cdrs SET direction = 'sideways' WHERE id = :id").bind(":id", broken).run();
    tx.commit();
    clock_.advance(minutes(1));
  }
  call("behind");
  clock_.advance(hours(5));
  EXPECT_EQ(small.run_once(), 0);  // the batch held the two failing rows only
  EXPECT_EQ(status_of("behind"), CallStatus::in_progress);
  EXPECT_EQ(small.run_once(), 1);
  EXPECT_EQ(status_of("behind"), CallStatus::unknown);
  EXPECT_TRUE(metrics_show("callsight_job_row_failures_total{job=\"call_sweep\"} 4"));
}

}  // namespace
}  // namespace callsight::switching
