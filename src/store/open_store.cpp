#include <stdexcept>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace callsight {

std::unique_ptr<Store> open_store(const std::string& location, const Clock& clock) {
  if (location.starts_with("postgresql://") || location.starts_with("postgres://")) {
    throw std::runtime_error("PostgreSQL is not supported yet");
  }
  return std::make_unique<SqliteStore>(location, clock);
}

}  // namespace callsight
