#include "http/deferred_response.hpp"

namespace callsight::http {
namespace {

thread_local DeferralPoint* tls_point = nullptr;

}  // namespace

Respond defer_response() {
  if (tls_point == nullptr || tls_point->taken) return {};
  tls_point->taken = true;
  return DeferralHook::sender(tls_point->hooks, *tls_point);
}

Respond DeferralHook::sender(DeferralHook* hook, const DeferralPoint& point) {
  if (hook == nullptr) return point.make_respond(point.context);
  return hook->wrap(sender(hook->outer_, point));
}

DeferralPoint* current_deferral_point() { return tls_point; }

ResponseDeferral::ResponseDeferral(DeferralPoint& point) : outer_(tls_point) { tls_point = &point; }

ResponseDeferral::~ResponseDeferral() { tls_point = outer_; }

DeferralHook::DeferralHook() {
  if (tls_point == nullptr) return;
  outer_ = tls_point->hooks;
  tls_point->hooks = this;
  installed_ = true;
}

DeferralHook::~DeferralHook() {
  if (installed_ && tls_point != nullptr) tls_point->hooks = outer_;
}

}  // namespace callsight::http
