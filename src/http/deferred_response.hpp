#pragma once

#include <functional>

#include "http/response.hpp"

namespace callsight::http {

// Sends a request's response; callable once, from any thread.
using Respond = std::function<void(Response)>;

// Inside a handler the Server runs: takes the answer of the request being handled away from
// the handler's return, so the handler can return (and its io thread serve other requests)
// while its answer waits on something else, such as the durable commit of a write shared by
// many requests. The Response the handler then returns is not sent; `respond` must be called
// exactly once. Empty outside a Server (a test calling the handler directly): answer by
// returning, as usual.
Respond defer_response();

// What the Server gives each request it hands to its handler (set up by ResponseDeferral).
// Handler wrappers that report on the response (the request observer) wrap `respond` before
// they call the handler, and find out after it returned whether it was taken.
struct DeferralPoint {
  Respond respond;
  bool taken = false;
};

// The deferral point of the request this thread is handling, or null outside a Server.
DeferralPoint* current_deferral_point();

// Makes `point` this thread's deferral point for its scope (the handler's run).
class ResponseDeferral {
 public:
  explicit ResponseDeferral(DeferralPoint& point);
  ~ResponseDeferral();
  ResponseDeferral(const ResponseDeferral&) = delete;
  ResponseDeferral& operator=(const ResponseDeferral&) = delete;

 private:
  DeferralPoint* outer_;
};

}  // namespace callsight::http
