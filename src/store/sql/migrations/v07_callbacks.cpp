#include "store/sql/migrations/migration.hpp"

namespace callsight {

// next_attempt is when the switch may dial next: scheduled at first, moved on by each claim.
// Deleting a customer takes its callbacks along. cdr_id has no foreign key until CDRs exist.
const Migration kMigration7 = {7, R"sql(
CREATE TABLE callbacks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  agent_number TEXT NOT NULL,
  requester_number TEXT NOT NULL,
  caller_id TEXT NOT NULL,
  scheduled INTEGER NOT NULL,
  retries INTEGER NOT NULL,
  retry_interval INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt INTEGER NOT NULL,
  completed INTEGER NOT NULL,
  cdr_id INTEGER,
  custom_dynamic TEXT,
  call_recording INTEGER NOT NULL,
  created TEXT NOT NULL
);
CREATE INDEX callbacks_by_customer ON callbacks(customer_id, scheduled);
CREATE INDEX callbacks_due ON callbacks(completed, next_attempt);
)sql"};

}  // namespace callsight
