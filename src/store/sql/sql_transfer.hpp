#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "store/sql/sql_database.hpp"

namespace callsight {

// The database a --db value names: a postgresql:// (or postgres://) URL means PostgreSQL
// with a pool of `pool_size` connections, anything else an SQLite file path (created when
// absent). Nothing is migrated.
std::unique_ptr<SqlDatabase> open_sql_database(const std::string& location, int pool_size);

// What export_database wrote and import_database read.
struct TransferSummary {
  int schema_version = 0;
  int tables = 0;
  std::int64_t rows = 0;
};

// Writes every row of every table but schema_migrations as JSON lines, from one read
// snapshot:
//   {"format":"callsight-export","format_version":1,"schema_version":N,"source":"SQLite"}
//   {"table":T,"columns":[...],"id_column":C|null,"id_sequence":S|null}  per table, parents
//   {"table":T,"row":{column: value}}                                   first (foreign keys)
//   {"end":{"tables":{T: rows, ...}}}
// Integers are JSON numbers, text strings, NULL null. id_sequence is the highest id the
// table ever handed out (at least its largest id), so deleted ids stay unused after import.
// Tables and columns come from the database's catalog, never from a list kept here, so every
// table holding partner data goes along (the shared secrets: the Digest nonce key and the
// partners' DNCS secrets; the pools' numbers, visitors, sessions and hand-outs). Transient
// tables go too: dni_seen_signatures holds at most the 300 s replay window and its rows purge
// themselves, and carrying them keeps a request signed just before the move from being
// replayed just after it; skipping a table would also leave import's "every table of the
// schema" check (`the export has no table`) to special-case it.
TransferSummary export_database(SqlDatabase& db, std::ostream& out);

// Loads an export_database stream into `db` in one write transaction, every row with its
// original keys. `db` must be migrated to the stream's schema version and empty: rows that
// migrations seed themselves (the system voicemail greeting) are deleted first and come
// back from the stream with the source's ids and timestamps; any other row makes the import
// refuse. Afterwards id sequences are moved past the imported ids (PostgreSQL: setval;
// SQLite: sqlite_sequence). Throws StoreError, leaving `db` unchanged, when the stream is
// damaged or truncated, or does not match the database.
TransferSummary import_database(SqlDatabase& db, std::istream& in);

}  // namespace callsight
