#include "api/context.hpp"

namespace callsight::api {

void register_orders(ApiRouter&) {}

}  // namespace callsight::api
