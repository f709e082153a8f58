#pragma once

#include <functional>

#include "http/response.hpp"

namespace callsight::http {

struct DeferralPoint;

// Sends a request's response; callable once, from any thread.
using Respond = std::function<void(Response)>;

// Inside a handler the Server runs: takes the answer of the request being handled away from
// the handler's return, so the handler can return (and its io thread serve other requests)
// while its answer waits on something else, such as the durable commit of a write shared by
// many requests. The Response the handler then returns is not sent; `respond` must be called
// exactly once. Empty outside a Server (a test calling the handler directly): answer by
// returning, as usual.
Respond defer_response();

// A handler wrapper that reports on the response (the request observer) wraps the sender of
// an answer that is deferred: defer_response() calls wrap() of every hook in scope, the
// outermost wrapper's first, while the request is still being handled. Nothing is made for an
// answer that is not deferred: that is nearly every request, and a std::function made for each
// was a heap allocation and a few copies on every ping.
class DeferralHook {
 public:
  // Installs this hook on the request this thread is handling, for its scope (none outside a
  // Server).
  DeferralHook();
  virtual ~DeferralHook();
  DeferralHook(const DeferralHook&) = delete;
  DeferralHook& operator=(const DeferralHook&) = delete;

  // The sender to use instead of `send`; `send` must be called by it exactly once.
  virtual Respond wrap(Respond send) = 0;

 private:
  friend Respond defer_response();
  // The sender wrapped by `hook` and by every hook outside it, the outermost first.
  static Respond sender(DeferralHook* hook, const DeferralPoint& point);

  DeferralHook* outer_ = nullptr;  // installed before this one
  bool installed_ = false;
};

// What the Server gives each request it hands to its handler (set up by ResponseDeferral).
struct DeferralPoint {
  // Makes the sender of the request's answer, once, while the handler runs: a function and
  // its argument, so that a request whose answer is not deferred allocates nothing.
  Respond (*make_respond)(void* context) = nullptr;
  void* context = nullptr;
  DeferralHook* hooks = nullptr;  // the innermost first
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
