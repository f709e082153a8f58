#include "store/sql/sql_purge.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace callsight {
namespace {

constexpr std::int64_t kPurgeBatch = 500;  // rows examined per transaction

struct Batch {
  DeletedRows settled;  // the rows to delete: examined, old and settled
  std::size_t deleted = 0;
  Id last_id = 0;         // the last row examined
  bool finished = false;  // reached a row at or after the cutoff, or the table's end
};

using OnDeleted = std::function<void(const DeletedRows&)>;

// Examines the next rows after `after`, inside the caller's transaction.
Batch examine(SqlDatabase& db, const PurgeRows& rows, TimePoint cutoff, Id after) {
  Batch batch;
  auto examined = db.prepare("SELECT id, partner_id, created, CASE WHEN " + rows.settled +
                             " THEN 1 ELSE 0 END FROM " + rows.table +
                             " WHERE id > :after ORDER BY id LIMIT :limit");
  examined.bind(":after", after).bind(":limit", kPurgeBatch);
  std::int64_t count = 0;
  while (examined.step()) {
    ++count;
    if (examined.time(2) >= cutoff) {
      batch.finished = true;
      return batch;
    }
    batch.last_id = examined.int64(0);
    if (examined.integer(3) == 1) batch.settled.emplace_back(batch.last_id, examined.int64(1));
  }
  batch.finished = count < kPurgeBatch;
  return batch;
}

Batch purge_batch(SqlDatabase& db, const PurgeRows& rows, TimePoint cutoff, Id after,
                  const OnDeleted& on_deleted) {
  SqlTransaction tx(db, TxMode::write);
  auto batch = examine(db, rows, cutoff, after);
  const std::string remove = "DELETE FROM " + rows.table + " WHERE id = :id";
  for (const auto& [id, partner_id] : batch.settled) db.prepare(remove).bind(":id", id).run();
  if (on_deleted && !batch.settled.empty()) on_deleted(batch.settled);
  tx.commit();
  batch.deleted = batch.settled.size();
  return batch;
}

// The batch after `after` again, a row per transaction, each row's rule checked again in its
// own: the rows examined in a read transaction may have changed since.
Batch purge_row_by_row(SqlDatabase& db, const PurgeRows& rows, TimePoint cutoff, Id after,
                       const OnDeleted& on_deleted, const RowFailureHandler& on_failure) {
  Batch batch;
  {
    SqlTransaction tx(db, TxMode::read);
    batch = examine(db, rows, cutoff, after);
  }
  const std::string remove = "DELETE FROM " + rows.table + " WHERE id = :id AND created < :cutoff" +
                             " AND " + rows.settled;
  for (const auto& row : batch.settled) {
    try {
      SqlTransaction tx(db, TxMode::write);
      db.prepare(remove).bind(":id", row.first).bind(":cutoff", cutoff).run();
      if (db.changes() == 1) {
        if (on_deleted) on_deleted({row});
        ++batch.deleted;
      }
      tx.commit();
    } catch (const std::exception& e) {
      on_failure(row.first, e);
    }
  }
  return batch;
}

}  // namespace

PurgeProgress purge_settled_rows(SqlDatabase& db, const PurgeRows& rows, TimePoint cutoff,
                                 const OnDeleted& on_deleted, const RowFailureHandler& on_failure,
                                 int max_batches) {
  PurgeProgress progress;
  Id after = 0;
  for (int round = 0; round < max_batches; ++round) {
    Batch batch;
    try {
      batch = purge_batch(db, rows, cutoff, after, on_deleted);
    } catch (const std::exception&) {
      if (!on_failure) throw;
      batch = purge_row_by_row(db, rows, cutoff, after, on_deleted, on_failure);
    }
    progress.deleted += batch.deleted;
    if (batch.finished) return progress;
    after = batch.last_id;
  }
  progress.done = false;
  return progress;
}

}  // namespace callsight
