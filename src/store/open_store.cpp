#include <memory>

#include "store/sql/sql_store.hpp"
#include "store/sql/sql_transfer.hpp"
#include "store/store.hpp"

namespace callsight {

std::unique_ptr<Store> open_store(const std::string& location, const Clock& clock,
                                  const StoreOptions& options) {
  return std::make_unique<SqlStore>(open_sql_database(location, options.pool_size), clock);
}

}  // namespace callsight
