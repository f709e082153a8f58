#include "store/sql/migrations/migration.hpp"

namespace callsight {

// The primary key makes is_blacklisted, asked on every routed call, one index lookup.
// position keeps the order the partner gave. Deleting a customer takes its list along.
const Migration kMigration5 = {5, R"sql(
CREATE TABLE blacklist_numbers (
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  number TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (customer_id, number)
) WITHOUT ROWID;
)sql"};

}  // namespace callsight
