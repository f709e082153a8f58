#include "core/pincode.hpp"

#include "common/random.hpp"

namespace callsight {

std::string random_pincode(int length) { return random_digits(length); }

std::optional<std::string> draw_free_pincode(
    const PincodeDraw& draw, const std::function<bool(const std::string&)>& is_taken) {
  for (int i = 0; i < kPincodeMaxDraws; ++i) {
    auto candidate = draw();
    if (!is_taken(candidate)) return candidate;
  }
  return std::nullopt;
}

TimePoint pincode_expiry(TimePoint created, int ttl_days) {
  return created + std::chrono::days(ttl_days);
}

}  // namespace callsight
