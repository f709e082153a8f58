// Deliberately wrong three ways: api may use the store's interface (store/store.hpp, allowed
// here) but not its SQL implementation, whether named with angle brackets, relatively or from
// the source root.
#include <store/sql/sql_store.hpp>

#include "../store/sql/sql_store.hpp"
#include "store/sql/sql_store.hpp"
#include "store/store.hpp"
