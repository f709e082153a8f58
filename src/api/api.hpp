#pragma once

#include "api/context.hpp"
#include "core/clock.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace callsight::api {

// The partner API as one handler: authentication, routing and every resource.
http::Handler make_partner_api(Store& store, const Clock& clock, ApiSettings settings = {});

}  // namespace callsight::api
