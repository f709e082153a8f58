#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "api/context.hpp"
#include "core/clock.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace callsight::api {

// How the partner API guards itself against abuse. Each node keeps its own counts: with N
// nodes behind a balancer a partner may reach N times the rate.
struct AccessLimits {
  double rate_per_second = 50;  // requests per partner after authentication; 0 = unlimited
  double rate_burst = 100;      // requests a partner may send at once
  int login_failures = 10;      // wrong passwords per client network within the window; 0 = off
  std::chrono::seconds login_failure_window{60};
  std::chrono::seconds digest_nonce_lifetime{300};
  // Dynamic-number requests from one client network per minute, and at once; 0 = no cap.
  double dni_requests_per_ip_minute = 300;
};

// The partner API as one handler: authentication, routing and every resource.
http::Handler make_partner_api(Store& store, const Clock& clock, const ApiSettings& settings = {},
                               AccessLimits limits = {});

// Puts every resource of the partner API on `router`: what make_partner_api serves, behind its
// authentication. The stored-rows fuzz harness answers every route from it, so a new resource
// is fuzzed without being named there.
void register_partner_api(ApiRouter& router);

// (method, path pattern) of every partner API route, e.g. ("GET", "/customers/{customer_id}").
std::vector<std::pair<std::string, std::string>> partner_api_routes();

}  // namespace callsight::api
