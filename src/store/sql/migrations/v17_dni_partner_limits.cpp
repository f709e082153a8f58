#include "store/sql/migrations/migration.hpp"

namespace callsight {

// A partner's limits on dynamic numbers (docs/dynamic-numbers.md): how many days sessions and
// their hand-outs are kept, and how many pool numbers its visitors may hold leased at once;
// and the indexes the number requests and the purge look up by.
const Migration kMigration17 = {17, R"sql(
ALTER TABLE partners ADD COLUMN dni_retention_days INTEGER NOT NULL DEFAULT 90;
ALTER TABLE partners ADD COLUMN dni_number_cap INTEGER NOT NULL DEFAULT 1000;
CREATE INDEX dni_sessions_by_last_seen ON dni_sessions(last_seen_at);
-- A site asks for numbers by its customer's uuid (advid), on every page view.
CREATE INDEX customers_by_uuid ON customers(uuid);
)sql"};

}  // namespace callsight
