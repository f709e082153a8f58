#include "app/transfer_commands.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "store/sql/migrations.hpp"
#include "store/sql/sql_transfer.hpp"
#include "store/store.hpp"

namespace callsight::app {
namespace {

// One connection is all a single-threaded command uses.
constexpr int kPoolSize = 1;

bool is_standard_stream(const std::string& path) { return path.empty() || path == "-"; }

std::string describe(const TransferSummary& summary) {
  return std::to_string(summary.rows) + " rows in " + std::to_string(summary.tables) +
         " tables, schema version " + std::to_string(summary.schema_version);
}

}  // namespace

void migrate_command(const std::string& db, const Clock& clock, std::ostream& out) {
  const auto database = open_sql_database(db, kPoolSize);
  out << "schema version " << apply_migrations(*database, clock.now()) << '\n';
}

void export_command(const std::string& db, const std::string& out_path, std::ostream& out,
                    std::ostream& log) {
  const auto database = open_sql_database(db, kPoolSize);
  if (is_standard_stream(out_path)) {
    log << "exported " << describe(export_database(*database, out)) << '\n';
    return;
  }
  const std::filesystem::path target(out_path);
  auto partial = target;
  partial += ".partial";
  std::ofstream file(partial, std::ios::binary | std::ios::trunc);
  if (!file) throw std::runtime_error("cannot create " + partial.string());
  try {
    const auto summary = export_database(*database, file);
    file.close();
    if (!file) throw std::runtime_error("cannot write " + partial.string());
    std::filesystem::rename(partial, target);
    log << "exported " << describe(summary) << " to " << out_path << '\n';
  } catch (...) {
    std::filesystem::remove(partial);
    throw;
  }
}

void import_command(const std::string& db, const std::string& in_path, std::istream& in,
                    std::ostream& out) {
  const auto database = open_sql_database(db, kPoolSize);
  if (is_standard_stream(in_path)) {
    out << "imported " << describe(import_database(*database, in)) << '\n';
    return;
  }
  std::ifstream file(in_path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + in_path);
  out << "imported " << describe(import_database(*database, file)) << '\n';
}

}  // namespace callsight::app
