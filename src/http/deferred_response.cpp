#include "http/deferred_response.hpp"

namespace callsight::http {
namespace {

thread_local DeferralPoint* tls_point = nullptr;

}  // namespace

Respond defer_response() {
  if (tls_point == nullptr || tls_point->taken) return {};
  tls_point->taken = true;
  return tls_point->respond;
}

DeferralPoint* current_deferral_point() { return tls_point; }

ResponseDeferral::ResponseDeferral(DeferralPoint& point) : outer_(tls_point) { tls_point = &point; }

ResponseDeferral::~ResponseDeferral() { tls_point = outer_; }

}  // namespace callsight::http
