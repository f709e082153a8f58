#pragma once

#include <string>
#include <string_view>

namespace callsight {

// Turns schema text written in SQLite's dialect (the migrations) into PostgreSQL's:
// AUTOINCREMENT keys become identity columns, INTEGER becomes BIGINT (SQLite integers are
// 64-bit), NOCASE-unique text becomes CITEXT, and the few SQLite functions the migrations
// call become their PostgreSQL equivalents. Applying it twice changes nothing more. Throws
// std::logic_error when SQLite-only syntax it does not know is left over, so a new migration
// fails in tests rather than on a production database.
std::string postgres_ddl(std::string_view sqlite_ddl);

}  // namespace callsight
