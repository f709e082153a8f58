#include "store/sqlite/sqlite_pincode_store.hpp"

namespace callsight {

const char kPincodeSchemaSql[] = R"sql(
CREATE TABLE pincode_placeholder (id INTEGER PRIMARY KEY);
)sql";

}  // namespace callsight
