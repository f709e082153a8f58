#pragma once

#include "core/clock.hpp"
#include "store/sql/sql_database.hpp"

namespace callsight {

// What the store of each resource family shares with SqlStore: the database, whose
// transactions keep writers apart (see TxMode), and the clock.
class SqlSubStore {
 public:
  SqlSubStore(SqlDatabase& db, const Clock& clock) : db_(db), clock_(clock) {}

 protected:
  using Mode = TxMode;

  SqlDatabase& db_;
  const Clock& clock_;
};

}  // namespace callsight
