// Deliberately wrong: api may use the store's interface (api/api.hpp includes store/store.hpp)
// but not its SQL implementation, which callsight_store keeps to itself. This must fail to
// compile, naming store/sql/sql_store.hpp (ctest lint.layers_build_probe.api_includes_sql_store).
#include "api/api.hpp"
#include "http/router.hpp"
#include "store/sql/sql_store.hpp"
