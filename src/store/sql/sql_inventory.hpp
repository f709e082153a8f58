#pragma once

#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/types.hpp"
#include "store/source_store.hpp"
#include "store/sql/sql_database.hpp"

// Taking a number from the tracking-number inventory, for a static source and for a pool
// alike, so that both kinds of holder obey one definition of "free" (numbers_with_holder_sql).
namespace callsight {

// The lowest free number the partner may be given that `request` asks for, claimed for the
// caller's transaction: SQLite holds its write lock; PostgreSQL locks the number's row (passing
// over rows other transactions are claiming). A pool's stale row for the number (its
// quarantine over, or its pool archived) is released, so the number's history stays and the
// number can go to a pool again. Nothing else is written: the caller records the new holder.
std::optional<std::string> claim_free_number(SqlDatabase& db, TimePoint now, Id partner_id,
                                             const NumberRequest& request);

}  // namespace callsight
