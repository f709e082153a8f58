#include "api/context.hpp"

namespace callsight::api {

void register_voicemail_greetings(ApiRouter&) {}

}  // namespace callsight::api
