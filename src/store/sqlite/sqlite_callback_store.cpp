#include "store/sqlite/sqlite_callback_store.hpp"

namespace callsight {

const char kCallbackSchemaSql[] = R"sql(
CREATE TABLE callback_placeholder (id INTEGER PRIMARY KEY);
)sql";

}  // namespace callsight
