#include "store/sqlite/sqlite_order_store.hpp"

namespace callsight {

const char kOrderSchemaSql[] = R"sql(
CREATE TABLE order_placeholder (id INTEGER PRIMARY KEY);
)sql";

}  // namespace callsight
