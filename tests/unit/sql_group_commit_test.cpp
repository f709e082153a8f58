// Group commit on a real backend (SQLite, or PostgreSQL with CALLSIGHT_TEST_BACKEND=postgres):
// concurrent writers share commits, and each keeps its own outcome. The hand-over rules
// themselves are in group_commit_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/customer_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

class SqlGroupCommitTest : public SqlStoreFixture {
 protected:
  // create_customer, or create_customer_then waited for (every other writer of the test):
  // both kinds share batches, and a refusal of either leaves the other kind's work alone.
  Customer create(const Customer& customer, bool later) {
    if (!later) return store_->customers().create_customer(customer);
    std::promise<Customer> created;
    store_->customers().create_customer_then(
        customer, [&created](std::optional<Customer> stored, const std::exception_ptr& error) {
          if (error) return created.set_exception(error);
          created.set_value(std::move(*stored));
        });
    return created.get_future().get();
  }
};

// Sixteen writers create customers at once, half of them without waiting on the commit
// themselves (create_customer_then); every fourth custnr is one another writer also uses, so
// one of each pair is refused with a 409 inside some batch. Every accepted creation
// is there after the store reopens, the refused ones are not, and no refusal took another
// writer's creation with it.
TEST_F(SqlGroupCommitTest, ConcurrentWritersEachKeepTheirOwnOutcome) {
  const Id partner = make_partner("p");
  constexpr int kWriters = 16;
  constexpr int kEach = 25;
  std::vector<std::set<std::string>> accepted(kWriters);
  std::atomic<int> refused{0};
  std::vector<std::thread> writers;
  for (int writer = 0; writer < kWriters; ++writer) {
    writers.emplace_back([&, writer] {
      for (int i = 0; i < kEach; ++i) {
        // Writers 2k and 2k+1 share every fourth custnr.
        const bool shared = i % 4 == 0;
        const std::string custnr =
            shared ? "shared-" + std::to_string(writer / 2) + "-" + std::to_string(i)
                   : "own-" + std::to_string(writer) + "-" + std::to_string(i);
        Customer customer;
        customer.partner_id = partner;
        customer.name = customer.custnr = custnr;
        customer.uuid = "uuid-" + std::to_string(writer) + "-" + std::to_string(i);
        try {
          const Customer stored = create(customer, /*later=*/writer % 2 == 1);
          EXPECT_GT(stored.id, 0);
          accepted[writer].insert(custnr);
        } catch (const ConflictError&) {
          ++refused;
        }
      }
    });
  }
  for (auto& thread : writers) thread.join();

  std::set<std::string> expected;
  for (const auto& set : accepted) expected.insert(set.begin(), set.end());
  const int shared_pairs = (kWriters / 2) * ((kEach + 3) / 4);
  EXPECT_EQ(refused.load(), shared_pairs);
  EXPECT_EQ(expected.size(), static_cast<std::size_t>(kWriters * kEach - shared_pairs));

  const DatabasePoolStats stats = store_->pool_stats();
  EXPECT_GE(stats.group_committed_transactions, expected.size());
  EXPECT_LE(stats.group_commits, stats.group_committed_transactions);

  reopen();
  const auto page =
      store_->customers().list_customers(partner, {}, PageRequest{.page = 0, .pagesize = 1000});
  std::set<std::string> stored;
  for (const auto& customer : page.items) stored.insert(customer.custnr);
  EXPECT_EQ(stored, expected);
}

// SQLite reads run on reader connections: they never see a write transaction's work before
// its batch commits, and they cannot write beside the group commit.
TEST(SqliteReadersTest, AReadSeesOnlyCommittedBatchesAndCannotWrite) {
  TempDir dir;
  SqliteDatabase db((dir.path() / "readers.db").string());
  {
    SqlTransaction tx(db, TxMode::write);
    db.exec("CREATE TABLE r (id INTEGER)");
    tx.commit();
  }
  const auto count = [&db] {
    SqlTransaction tx(db, TxMode::read);
    auto stmt = db.prepare("SELECT COUNT(*) FROM r");
    stmt.step();
    return stmt.int64(0);
  };
  std::promise<void> written;
  std::promise<void> may_commit;
  std::thread writer([&] {
    SqlTransaction tx(db, TxMode::write);
    db.exec("INSERT INTO r VALUES (1)");
    written.set_value();
    may_commit.get_future().wait();
    tx.commit();
  });
  written.get_future().wait();
  EXPECT_EQ(count(), 0);  // the insert is in the open batch, not committed
  may_commit.set_value();
  writer.join();
  EXPECT_EQ(count(), 1);

  SqlTransaction read(db, TxMode::read);
  EXPECT_THROW(db.exec("INSERT INTO r VALUES (2)"), StoreError);
}

// The rows a node reads from memory (recent_rows.hpp) go stale with any write of the node,
// the group commit's handed-over work (write_transaction) as much as a SqlTransaction's, and
// once its commit returned or it failed.
TEST(SqliteReadersTest, EveryWriteTransactionAdvancesTheWriteGeneration) {
  TempDir dir;
  SqliteDatabase db((dir.path() / "generation.db").string());
  db.write_transaction(TxMode::write, [&db] { db.exec("CREATE TABLE g (id INTEGER)"); });
  const auto before = db.write_generation();
  db.write_transaction(TxMode::concurrent_write, [&db] { db.exec("INSERT INTO g VALUES (1)"); });
  EXPECT_EQ(db.write_generation(), before + 1);
  EXPECT_THROW(db.write_transaction(TxMode::concurrent_write,
                                    [&db] { db.exec("INSERT INTO missing VALUES (1)"); }),
               StoreError);
  EXPECT_EQ(db.write_generation(), before + 2);
  { SqlTransaction read(db, TxMode::read); }
  EXPECT_EQ(db.write_generation(), before + 2);  // a read changes nothing
}

// A write answered later (write_transaction_then) has advanced the generation by the time it
// is answered, committed or not, as write_transaction has by its return.
TEST(SqliteReadersTest, AWriteAnsweredLaterAdvancesTheWriteGenerationBeforeItsAnswer) {
  TempDir dir;
  SqliteDatabase db((dir.path() / "generation_later.db").string());
  db.write_transaction(TxMode::write, [&db] { db.exec("CREATE TABLE g (id INTEGER)"); });
  const auto write_later = [&db](const char* sql) {
    std::promise<std::pair<std::uint64_t, bool>> answered;
    db.write_transaction_then(
        TxMode::concurrent_write, [&db, sql] { db.exec(sql); },
        [&](const std::exception_ptr& error) {
          answered.set_value({db.write_generation(), error == nullptr});
        });
    return answered.get_future().get();
  };
  const auto before = db.write_generation();
  EXPECT_EQ(write_later("INSERT INTO g VALUES (1)"), std::make_pair(before + 1, true));
  EXPECT_EQ(write_later("INSERT INTO missing VALUES (1)"), std::make_pair(before + 2, false));
  SqlTransaction read(db, TxMode::read);
  auto count = db.prepare("SELECT COUNT(*) FROM g");
  count.step();
  EXPECT_EQ(count.int64(0), 1);
}

}  // namespace
}  // namespace callsight
