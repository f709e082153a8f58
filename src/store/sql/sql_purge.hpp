#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/types.hpp"
#include "store/sql/sql_database.hpp"
#include "store/store.hpp"

namespace callsight {

// Which rows of an outbox table may go once they are old.
struct PurgeRows {
  std::string table;  // with INTEGER `id`, `partner_id` and `created` (Unix seconds)
  // SQL true for a row that is settled (nothing is left to do with it); may name `table`.
  std::string settled;
};

// The (id, partner_id) of rows deleted together.
using DeletedRows = std::vector<std::pair<Id, Id>>;

// Deletes the settled rows of `rows.table` created before `cutoff`, oldest id first, a batch of
// 500 per write transaction, so writers queued behind one are not held up long, and at most
// `max_batches` batches: what is left waits for the next call (`done` false). Ids are taken
// in creation order, so the walk stops at the first row created at or after the cutoff: a
// purge reads the old rows it deletes and the few it keeps, never the whole table. Each batch
// that deleted rows calls on_deleted with them in its own transaction, for bookkeeping that
// must commit with the deletion. A batch that fails is done again a row per transaction: a row
// that still fails goes to `on_failure` (its id) and stays, and the walk goes on (without a
// handler the error is thrown).
PurgeProgress purge_settled_rows(SqlDatabase& db, const PurgeRows& rows, TimePoint cutoff,
                                 const std::function<void(const DeletedRows&)>& on_deleted,
                                 const RowFailureHandler& on_failure, int max_batches);

}  // namespace callsight
