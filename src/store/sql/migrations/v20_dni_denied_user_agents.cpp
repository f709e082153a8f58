#include "store/sql/migrations/migration.hpp"

namespace callsight {

// A partner's deny list of user agents (issue 15, item 7; docs/dynamic-numbers.md, "Crawlers"):
// text that, found in a visitor's user agent, makes it a crawler. A JSON array, read whole
// with the partner and the site a number request names, never searched.
const Migration kMigration20 = {20, R"sql(
ALTER TABLE partners ADD COLUMN dni_denied_user_agents TEXT NOT NULL DEFAULT '[]';
)sql"};

}  // namespace callsight
