// Deliberately wrong: common is below core and must not know it.
#include "core/clock.hpp"
