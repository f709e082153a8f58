#pragma once

#include <string>

#include "core/dni/number_hold.hpp"
#include "core/time_format.hpp"

// Times and hand-outs for the dynamic-number rule tests.
namespace callsight::dni::test_support {

inline TimePoint at(const char* text) { return *parse_utc(text); }

inline const PoolTiming kDefaultTiming;  // 30 + 10 + 5 minutes

inline Assignment handed_out(std::string session, const char* assigned, const char* last_seen) {
  Assignment a;
  a.session_id = std::move(session);
  a.assigned_at = at(assigned);
  a.last_seen_at = at(last_seen);
  a.consent = true;
  return a;
}

}  // namespace callsight::dni::test_support
