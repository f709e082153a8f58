// Deliberately wrong: core is below the store. callsight_core's include root holds core/ alone,
// so its own header is found and the store's is not: this must fail to compile, naming
// store/store.hpp (ctest lint.layers_build_probe.core_includes_store).
#include "core/clock.hpp"
#include "store/store.hpp"
