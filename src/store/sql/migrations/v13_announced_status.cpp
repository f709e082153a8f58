#include "store/sql/migrations/migration.hpp"

namespace callsight {

// The status last announced with a source.status_changed event; sources made before it
// get theirs, silently, at the next sweep.
const Migration kMigration13 = {13, "ALTER TABLE sources ADD COLUMN announced_status TEXT;"};

}  // namespace callsight
