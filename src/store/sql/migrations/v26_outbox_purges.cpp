#include "store/sql/migrations/migration.hpp"

namespace callsight {

// Settled outbox rows are deleted once the outbox retention has passed (the sweeper,
// docs/webhooks.md "Retention"). A replay cursor (GET /events?after=) may name a deleted event:
// through_id is the largest id of the partner's deleted events, so such a cursor reads as the
// start of what is kept rather than as an unknown id. (UNIQUE rather than a primary key: an
// INTEGER PRIMARY KEY would read as a generated id to export and import, sql_transfer.cpp.)
const Migration kMigration26 = {26, R"sql(
CREATE TABLE webhook_event_purges (
  partner_id INTEGER NOT NULL UNIQUE REFERENCES partners(id) ON DELETE CASCADE,
  through_id INTEGER NOT NULL
);
)sql"};

}  // namespace callsight
