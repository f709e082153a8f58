#include "store/sql/migrations/migration.hpp"

namespace callsight {

// Audio is kept as the base64 text the API shows (the connection binds text, not blobs);
// datalength is the decoded byte count. System greetings have no customer and are locked;
// the migration adds one, "Standard greeting", without audio: the switch plays its built-in
// prompt for it. A customer's greetings go with it (ON DELETE CASCADE).
const Migration kMigration4 = {4, R"sql(
CREATE TABLE voicemail_greetings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER REFERENCES customers(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  locked INTEGER NOT NULL,
  sounddata TEXT,
  datalength INTEGER NOT NULL,
  record_pin TEXT,
  created TEXT NOT NULL
);
CREATE INDEX voicemail_greetings_by_customer ON voicemail_greetings(customer_id, id);
CREATE INDEX sources_by_vm_greeting ON sources(vm_greeting_id);
INSERT INTO voicemail_greetings (customer_id, name, locked, sounddata, datalength, record_pin,
                                 created)
VALUES (NULL, 'Standard greeting', 1, NULL, 0, NULL, strftime('%Y-%m-%d %H:%M:%S', 'now'));
)sql"};

}  // namespace callsight
