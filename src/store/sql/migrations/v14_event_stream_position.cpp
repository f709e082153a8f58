#include "store/sql/migrations/migration.hpp"

namespace callsight {

// The replay order of events: ids are taken before commit, so on PostgreSQL a smaller id
// may commit after a larger one; positions are handed out to committed events only.
const Migration kMigration14 = {14, R"sql(
ALTER TABLE webhook_events ADD COLUMN stream_position INTEGER;
CREATE INDEX webhook_events_by_position ON webhook_events(stream_position);
CREATE INDEX webhook_events_stream ON webhook_events(partner_id, stream_position);
)sql"};

}  // namespace callsight
