#include "api/context.hpp"

namespace callsight::api {

void register_blacklist(ApiRouter&) {}

}  // namespace callsight::api
