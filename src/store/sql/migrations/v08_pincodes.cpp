#include "store/sql/migrations/migration.hpp"

namespace callsight {

// A PIN must be unique among the customer's live PINs only, and "live" depends on the time,
// which a UNIQUE index cannot see. So live_pincode holds the PIN while it may be live and is
// set to NULL once it has expired (done before every insert for that customer); the UNIQUE
// index on it is the last guard behind the store's own check. Deleting a customer takes its
// PINs along. cdr_id is checked against the partner's call records when a PIN is issued; it
// has no foreign key, as the table was made before call records were.
const Migration kMigration8 = {8, R"sql(
CREATE TABLE pincodes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  pincode TEXT NOT NULL,
  live_pincode TEXT,
  phone_number TEXT,
  cdr_id INTEGER,
  custom_lead_id TEXT,
  custom_lead_data TEXT,
  outcome TEXT,
  expires INTEGER NOT NULL,
  created TEXT NOT NULL,
  UNIQUE (customer_id, live_pincode)
);
)sql"};

}  // namespace callsight
