#include "store/sql/migrations/migration.hpp"

namespace callsight {

// placed is the order's own time (wire "timestamp") as unix seconds, so it can be compared
// with call times in SQL later. UNIQUE is the last guard behind create_order's own check.
// Deleting a customer takes its orders along.
const Migration kMigration6 = {6, R"sql(
CREATE TABLE orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  order_id TEXT NOT NULL,
  cli_id TEXT NOT NULL,
  order_value TEXT NOT NULL,
  extras TEXT,
  placed INTEGER NOT NULL,
  created TEXT NOT NULL,
  UNIQUE (customer_id, order_id)
);
)sql"};

}  // namespace callsight
