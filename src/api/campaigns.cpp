#include "api/context.hpp"

namespace callsight::api {

void register_campaigns(ApiRouter&) {}

}  // namespace callsight::api
