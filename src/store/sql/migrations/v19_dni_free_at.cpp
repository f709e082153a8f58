#include "store/sql/migrations/migration.hpp"

namespace callsight {

// When each pool number is next free to hand out (unix seconds; 0: never handed out), so a
// number request takes the number free the longest from an index instead of reading every
// number of the pool and its latest hand-out (bench/README.md, Dynamic numbers). It is kept a
// lower bound of the true moment (docs/storage.md): heartbeats do not touch it, and the
// allocation corrects a number that reaches the front too early. 0 is such a bound for every
// existing number, so nothing is computed here.
const Migration kMigration19 = {19, R"sql(
ALTER TABLE dni_pool_numbers ADD COLUMN free_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX dni_pool_numbers_by_free_at ON dni_pool_numbers(pool_source_id, free_at, id)
  WHERE released_at IS NULL AND removed_at IS NULL;
)sql"};

}  // namespace callsight
