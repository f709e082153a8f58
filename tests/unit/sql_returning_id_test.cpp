// "INSERT ... RETURNING id" gives the inserted row's id on both backends. SQLite answers the
// one-row inserts into tables whose id is the rowid without running RETURNING
// (sqlite_database.cpp); these tests hold it to what RETURNING itself gives, including where
// the rowid is not the answer. Named Sql* so that unit.store_on_postgres runs them.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "store/sql/sql_database.hpp"
#include "test_database.hpp"

namespace callsight {
namespace {

class SqlReturningIdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqlTransaction tx(*db_, TxMode::write);
    db_->exec(db_->ddl(
        "CREATE TABLE things (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
        " hits INTEGER NOT NULL DEFAULT 0);"
        // In SQLite, ids that are not the rowid: a column of its own, one of two primary key
        // columns, the key of a table without a rowid.
        "CREATE TABLE numbered (id INTEGER NOT NULL UNIQUE, name TEXT NOT NULL);"
        "CREATE TABLE paired (id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (id, name));"
        "CREATE TABLE keyed (id INTEGER PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;"));
    tx.commit();
  }

  // The id the statement returned, if it returned a row.
  std::optional<std::int64_t> returned(const std::string& sql, const std::string& name) {
    SqlTransaction tx(*db_, TxMode::write);
    std::optional<std::int64_t> id;
    {
      auto stmt = db_->prepare(sql);
      stmt.bind(":name", name);
      if (stmt.step()) id = stmt.int64(0);
      EXPECT_FALSE(stmt.step()) << "a one-row insert returns one row";
    }
    tx.commit();
    return id;
  }

  std::int64_t stored_id(const std::string& table, const std::string& name) {
    SqlTransaction tx(*db_, TxMode::read);
    auto stmt = db_->prepare("SELECT id FROM " + table + " WHERE name = :name");
    stmt.bind(":name", name);
    EXPECT_TRUE(stmt.step()) << name << " is not in " << table;
    return stmt.int64(0);
  }

  const TestDatabase database_{Start::empty};
  const std::unique_ptr<SqlDatabase> db_ = database_.open_raw();
};

TEST_F(SqlReturningIdTest, AnInsertGivesTheIdItsRowIsStoredWith) {
  const std::string insert = "INSERT INTO things (name) VALUES (:name) RETURNING id";
  const auto first = returned(insert, "first");
  const auto second = returned(insert, "second");
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(*first, stored_id("things", "first"));
  EXPECT_EQ(*second, stored_id("things", "second"));
}

// Nothing inserted, nothing returned: not the id an earlier insert on the connection made.
TEST_F(SqlReturningIdTest, AnInsertThatDidNothingGivesNoRow) {
  const std::string insert =
      "INSERT INTO things (name) VALUES (:name) ON CONFLICT (name) DO NOTHING RETURNING id";
  ASSERT_TRUE(returned(insert, "taken"));
  ASSERT_TRUE(returned(insert, "other"));
  EXPECT_EQ(returned(insert, "taken"), std::nullopt);
}

// An upsert that updated returns the updated row, which no rowid of an insert names.
TEST_F(SqlReturningIdTest, AnUpsertThatUpdatedGivesTheUpdatedRow) {
  const std::string upsert =
      "INSERT INTO things (name) VALUES (:name) ON CONFLICT (name) DO UPDATE SET hits ="
      " things.hits + 1 RETURNING id";
  const auto taken = returned(upsert, "taken");
  ASSERT_TRUE(returned(upsert, "later"));
  EXPECT_EQ(returned(upsert, "taken"), taken);
}

TEST_F(SqlReturningIdTest, AnIdThatIsNotTheRowidIsReturnedAsStored) {
  for (const std::string table : {"numbered", "paired", "keyed"}) {
    const std::string insert =
        "INSERT INTO " + table + " (id, name) VALUES (42, :name) RETURNING id";
    EXPECT_EQ(returned(insert, "answer"), 42) << table;
    EXPECT_EQ(stored_id(table, "answer"), 42) << table;
  }
}

}  // namespace
}  // namespace callsight
