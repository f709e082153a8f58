#include "store/sql/migrations/migration.hpp"

namespace callsight {

// Secrets every node shares (the Digest nonce key), made on first use.
const Migration kMigration11 = {11, R"sql(
CREATE TABLE shared_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created TEXT NOT NULL
);
)sql"};

}  // namespace callsight
