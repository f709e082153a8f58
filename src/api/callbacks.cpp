#include "api/context.hpp"

namespace callsight::api {

void register_callbacks(ApiRouter&) {}

}  // namespace callsight::api
