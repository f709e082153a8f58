#include "store/sqlite/sqlite_greeting_store.hpp"

namespace callsight {

const char kGreetingSchemaSql[] = R"sql(
CREATE TABLE greeting_placeholder (id INTEGER PRIMARY KEY);
)sql";

}  // namespace callsight
