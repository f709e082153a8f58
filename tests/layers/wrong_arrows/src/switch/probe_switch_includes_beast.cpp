// Deliberately wrong twice: SQLite stays inside store/sqlite and Beast inside http/; the
// standard library and the store's interface are allowed.
#include <sqlite3.h>

#include <boost/beast/http.hpp>
#include <string>

#include "store/store.hpp"
