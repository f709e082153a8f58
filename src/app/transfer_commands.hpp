#pragma once

#include <iosfwd>
#include <string>

#include "core/clock.hpp"

namespace callsight::app {

// `callsight migrate`: brings the database `db` (a --db value) to the newest schema and
// prints "schema version N".
void migrate_command(const std::string& db, const Clock& clock, std::ostream& out);

// `callsight export`: writes the export stream of `db` to `out_path`, or to `out` when the
// path is empty or "-". A file appears only complete: it is written beside and renamed.
// Prints a summary to `log`.
void export_command(const std::string& db, const std::string& out_path, std::ostream& out,
                    std::ostream& log);

// `callsight import`: loads an export stream from `in_path` (or `in` when empty or "-")
// into the migrated, empty database `db`; prints a summary to `out`.
void import_command(const std::string& db, const std::string& in_path, std::istream& in,
                    std::ostream& out);

}  // namespace callsight::app
