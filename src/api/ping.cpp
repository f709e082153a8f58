// GET /miscellaneous/ping (reference §2.1): lets a partner check its credentials.
#include "api/context.hpp"

namespace callsight::api {

void register_ping(ApiRouter& router) {
  router.add("GET", "/miscellaneous/ping", [](Context&) {
    return http::Response{200, "application/json", {}, R"({"ping":"ok"})"};
  });
}

}  // namespace callsight::api
