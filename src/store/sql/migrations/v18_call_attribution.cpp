#include "store/sql/migrations/migration.hpp"

namespace callsight {

// Which web visit made an inbound call, or why none did (issue 15, item 5), decided in the
// transaction that records the call. `attribution` is the reason ("matched", "within_grace",
// or why there is no visit, "static_source" for a static source's call); NULL on outbound
// calls and on calls recorded before this version. The visit's facts are copied from the
// session as one JSON object, read and written whole with the record and never searched;
// dni_session_id stays a column, so a visitor's calls can be found (erasure).
const Migration kMigration18 = {18, R"sql(
ALTER TABLE cdrs ADD COLUMN attribution TEXT;
ALTER TABLE cdrs ADD COLUMN attribution_text TEXT;
ALTER TABLE cdrs ADD COLUMN dni_session_id TEXT;
ALTER TABLE cdrs ADD COLUMN visit TEXT;
)sql"};

}  // namespace callsight
