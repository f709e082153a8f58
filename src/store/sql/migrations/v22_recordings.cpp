#include "store/sql/migrations/migration.hpp"

namespace callsight {

// Call recordings and voicemail messages (issue 17; docs/recordings.md). One per call at most
// (UNIQUE cdr_id: picking up a call's media twice keeps the first). An expired recording
// keeps its row with file_name NULL; cdrs.recording_id repeats the public id so call records
// name their recording without a join. Each partner keeps recordings for its own period.
const Migration kMigration22 = {22, R"sql(
CREATE TABLE recordings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recording_id TEXT NOT NULL UNIQUE,
  partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
  cdr_id INTEGER NOT NULL UNIQUE REFERENCES cdrs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  file_name TEXT,
  bytes INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created INTEGER NOT NULL,
  expired_at INTEGER
);
CREATE INDEX recordings_by_customer ON recordings(customer_id, id);
CREATE INDEX recordings_unexpired ON recordings(created, id) WHERE expired_at IS NULL;
ALTER TABLE cdrs ADD COLUMN recording_id TEXT;
ALTER TABLE partners ADD COLUMN recording_retention_days INTEGER NOT NULL DEFAULT 90;
)sql"};

}  // namespace callsight
