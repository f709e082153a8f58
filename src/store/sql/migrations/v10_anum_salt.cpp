#include "store/sql/migrations/migration.hpp"

namespace callsight {

// The salt behind CDRs' anum_md5; partners made before it get one of their own here.
const Migration kMigration10 = {10, R"sql(
ALTER TABLE partners ADD COLUMN anum_salt TEXT NOT NULL DEFAULT '';
UPDATE partners SET anum_salt = lower(hex(randomblob(16)));
)sql"};

}  // namespace callsight
