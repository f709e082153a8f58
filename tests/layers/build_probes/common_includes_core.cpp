// Deliberately wrong: common is the floor below core. callsight_common's include root holds
// common/ alone, so its own header is found and core's is not: this must fail to compile,
// naming core/clock.hpp (ctest lint.layers_build_probe.common_includes_core).
#include "common/hex.hpp"
#include "core/clock.hpp"
