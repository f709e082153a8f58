#include <memory>

#include "store/postgres/pg_database.hpp"
#include "store/sql/sql_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/store.hpp"

namespace callsight {

std::unique_ptr<Store> open_store(const std::string& location, const Clock& clock,
                                  const StoreOptions& options) {
  if (location.starts_with("postgresql://") || location.starts_with("postgres://")) {
    return std::make_unique<SqlStore>(
        std::make_unique<PgDatabase>(location, options.pool_size), clock);
  }
  return std::make_unique<SqlStore>(std::make_unique<SqliteDatabase>(location), clock);
}

}  // namespace callsight
