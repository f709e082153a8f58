#include "store/sqlite/sqlite_blacklist_store.hpp"

namespace callsight {

const char kBlacklistSchemaSql[] = R"sql(
CREATE TABLE blacklist_placeholder (id INTEGER PRIMARY KEY);
)sql";

}  // namespace callsight
