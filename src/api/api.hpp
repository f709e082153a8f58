#pragma once

#include <string>
#include <utility>
#include <vector>

#include "api/context.hpp"
#include "core/clock.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace callsight::api {

// The partner API as one handler: authentication, routing and every resource.
http::Handler make_partner_api(Store& store, const Clock& clock, ApiSettings settings = {});

// (method, path pattern) of every partner API route, e.g. ("GET", "/customers/{customer_id}").
std::vector<std::pair<std::string, std::string>> partner_api_routes();

}  // namespace callsight::api
