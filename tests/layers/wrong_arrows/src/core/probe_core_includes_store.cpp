// Deliberately wrong: core is below the store and must not know it.
#include "store/store.hpp"
