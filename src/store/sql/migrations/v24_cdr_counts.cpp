#include "store/sql/migrations/migration.hpp"

namespace callsight {

// How many call records each partner has per direction (issue 18 item 3; docs/storage.md,
// "CDR listing"): the total of an unfiltered GET /statistics/cdrs without a COUNT over every
// record, and `changes`, which every write that adds, removes or re-keys a partner's records
// raises in its own transaction, so a node may reuse what it derived from a snapshot (a
// filtered total, a page boundary) while the sum of `changes` it read then still holds.
// Each partner and direction has 8 slots (a record's id modulo 8) that are summed when read:
// call inserts on PostgreSQL run side by side (concurrent_write), and one row per partner
// would make them wait for each other's commit behind its row lock.
const Migration kMigration24 = {24, R"sql(
CREATE TABLE cdr_counts (
  partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  direction TEXT NOT NULL,
  slot INTEGER NOT NULL,
  calls INTEGER NOT NULL,
  changes INTEGER NOT NULL,
  PRIMARY KEY (partner_id, direction, slot)
);
INSERT INTO cdr_counts (partner_id, direction, slot, calls, changes)
  SELECT partner_id, direction, id % 8, COUNT(*), 1 FROM cdrs GROUP BY partner_id, direction, id % 8;
)sql"};

}  // namespace callsight
