// The WAL of an SQLite store is copied back into the database file by the store's own thread,
// on the writer connection between two batches (store/sqlite/sqlite_checkpointer.hpp), and
// still starts over under steady writes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>

#include "store/sql/sql_database.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "test_database.hpp"

namespace callsight {
namespace {

constexpr std::uintmax_t kPageBytes = 4096;

// `commits` commits of about 100 pages each: 100 rows of 4,000 random bytes.
void commit_pages(SqliteDatabase& db, int commits) {
  for (int i = 0; i < commits; ++i) {
    db.write_transaction(TxMode::write, [&db] {
      db.exec(
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
          "INSERT INTO blobs SELECT randomblob(4000) FROM n");
    });
  }
}

void create_blobs(SqliteDatabase& db) {
  db.write_transaction(TxMode::write, [&db] { db.exec("CREATE TABLE blobs (data BLOB)"); });
}

std::int64_t count_blobs(SqliteDatabase& db) {
  SqlTransaction tx(db, TxMode::read);
  auto count = db.prepare("SELECT COUNT(*) FROM blobs");
  EXPECT_TRUE(count.step());
  return count.int64(0);
}

// SQLite's own checkpoint would have run inside the commit that took the WAL past 1,000
// pages; here a thread of the store's own copies them after it, and the database file grows
// by them.
TEST(SqliteCheckpointerTest, AGrownWalIsCopiedBackByTheCheckpointingThread) {
  TempDir dir;
  const auto path = dir.path() / "grown.db";
  SqliteDatabase db(path.string());
  create_blobs(db);
  const auto empty = std::filesystem::file_size(path);
  commit_pages(db, 13);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (db.pool_stats().checkpoints.background == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto checkpoints = db.pool_stats().checkpoints;
  EXPECT_GE(checkpoints.background, 1U);
  EXPECT_EQ(checkpoints.failed, 0U);
  EXPECT_GE(std::filesystem::file_size(path), empty + 1000 * kPageBytes);
  EXPECT_EQ(count_blobs(db), 1300);
}

// Writes that never pause: each copy waits for the batch before it and holds the next one
// back, so it copies every page committed, and the next write starts the WAL over. Without
// checkpoints the WAL would hold all 15,000 pages.
TEST(SqliteCheckpointerTest, TheWalStartsOverWhileWritesGoOn) {
  TempDir dir;
  const auto path = dir.path() / "steady.db";
  SqliteDatabase db(path.string());
  create_blobs(db);
  constexpr int kCommits = 150;  // about 15,000 pages, 60 MB
  commit_pages(db, kCommits);
  const auto checkpoints = db.pool_stats().checkpoints;
  EXPECT_GE(checkpoints.background, 3U);
  EXPECT_EQ(checkpoints.failed, 0U);
  // The WAL file keeps the size it grew to; started over, it is written again from its start.
  const auto wal_bytes = std::filesystem::file_size(path.string() + "-wal");
  EXPECT_LT(wal_bytes, 6000 * kPageBytes);
  EXPECT_EQ(count_blobs(db), kCommits * 100);
}

}  // namespace
}  // namespace callsight
