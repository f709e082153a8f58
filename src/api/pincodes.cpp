#include "api/context.hpp"

namespace callsight::api {

void register_pincodes(ApiRouter&) {}

}  // namespace callsight::api
