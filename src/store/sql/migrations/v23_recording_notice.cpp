#include "store/sql/migrations/migration.hpp"

namespace callsight {

// The recording notice (issue 17 item 3; docs/recordings.md): a campaign that records its
// calls plays the notice to the caller first unless it says otherwise. Existing campaigns get
// it too: their recorded calls played no notice before, which all-party consent laws forbid.
const Migration kMigration23 = {23, R"sql(
ALTER TABLE campaigns ADD COLUMN recording_notice INTEGER NOT NULL DEFAULT 1;
)sql"};

}  // namespace callsight
