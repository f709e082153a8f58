#pragma once

#include "core/clock.hpp"
#include "store/sql/sql_database.hpp"

namespace callsight {

// The newest schema version this binary knows.
int latest_schema_version();

// The newest schema version recorded in the database; runs in the caller's transaction.
int recorded_schema_version(SqlDatabase& db);

// Brings the database to latest_schema_version(): each migration not yet recorded in
// schema_migrations runs in its own transaction together with its record. Throws StoreError
// when the database was written by a newer Callsight. Returns the schema version.
int apply_migrations(SqlDatabase& db, TimePoint now);

}  // namespace callsight
