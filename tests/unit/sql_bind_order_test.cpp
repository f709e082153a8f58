// Parameters are bound by name. SQLite's backend remembers the order a statement's first
// execution bound them in and checks each name against it (sqlite_database.cpp); these tests
// hold every execution to the values it bound, whatever its order, its count or the order of
// the first. Named Sql* so that unit.store_on_postgres runs them on PostgreSQL too.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/sql/sql_database.hpp"
#include "test_database.hpp"

namespace callsight {
namespace {

constexpr const char* kInsert = "INSERT INTO triples (a, b, c) VALUES (:a, :b, :c)";

class SqlBindOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqlTransaction tx(*db_, TxMode::write);
    db_->exec(db_->ddl("CREATE TABLE triples (a TEXT, b TEXT, c TEXT);"));
    tx.commit();
  }

  template <class Bind>
  void insert(Bind bind) {
    SqlTransaction tx(*db_, TxMode::write);
    auto stmt = db_->prepare(kInsert);
    bind(stmt);
    stmt.run();
    tx.commit();
  }

  std::vector<std::string> rows() {
    SqlTransaction tx(*db_, TxMode::read);
    auto stmt = db_->prepare(
        "SELECT COALESCE(a, '-') || COALESCE(b, '-') || COALESCE(c, '-') FROM triples"
        " ORDER BY 1");
    std::vector<std::string> out;
    while (stmt.step()) out.push_back(stmt.text(0));
    return out;
  }

  const TestDatabase database_{Start::empty};
  const std::unique_ptr<SqlDatabase> db_ = database_.open_raw();
};

TEST_F(SqlBindOrderTest, EveryExecutionStoresWhatItBoundWhateverItsOrder) {
  insert([](SqlStatement& s) { s.bind(":a", "1").bind(":b", "2").bind(":c", "3"); });
  insert([](SqlStatement& s) { s.bind(":c", "6").bind(":a", "4").bind(":b", "5"); });
  insert([](SqlStatement& s) { s.bind(":a", "7").bind(":c", "9").bind(":b", "8"); });
  insert([](SqlStatement& s) { s.bind(":b", "x"); });  // fewer: the others stay NULL
  insert([](SqlStatement& s) { s.bind(":a", "p").bind(":b", "q").bind(":c", "r"); });
  EXPECT_EQ(rows(), (std::vector<std::string>{"-x-", "123", "456", "789", "pqr"}));
}

// A name bound twice in one execution keeps its last value, as SQLite's own lookup would.
TEST_F(SqlBindOrderTest, ANameBoundTwiceKeepsItsLastValue) {
  insert([](SqlStatement& s) { s.bind(":a", "1").bind(":b", "2").bind(":c", "3"); });
  insert(
      [](SqlStatement& s) { s.bind(":a", "4").bind(":a", "5").bind(":b", "6").bind(":c", "7"); });
  EXPECT_EQ(rows(), (std::vector<std::string>{"123", "567"}));
}

TEST_F(SqlBindOrderTest, AnUnknownNameIsRefusedAfterTheOrderWasLearnt) {
  insert([](SqlStatement& s) { s.bind(":a", "1").bind(":b", "2").bind(":c", "3"); });
  SqlTransaction tx(*db_, TxMode::write);
  auto stmt = db_->prepare(kInsert);
  EXPECT_THROW(stmt.bind(":a", "1").bind(":d", "2"), std::logic_error);
}

}  // namespace
}  // namespace callsight
