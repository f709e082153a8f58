#include "store/sql/migrations/migration.hpp"

namespace callsight {

// Every call ends: rejected calls end when routed (older ones are closed here, silently),
// and calls whose end never arrives are closed by the sweep, which finds them by the
// partial index and marks them end_unknown.
const Migration kMigration15 = {15, R"sql(
ALTER TABLE cdrs ADD COLUMN end_unknown INTEGER NOT NULL DEFAULT 0;
UPDATE cdrs SET ended_at = start, failure_sip_status = reject_sip_status
  WHERE action = 'reject' AND ended_at IS NULL;
CREATE INDEX cdrs_open ON cdrs(start) WHERE ended_at IS NULL;
)sql"};

}  // namespace callsight
