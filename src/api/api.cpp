#include "api/api.hpp"
