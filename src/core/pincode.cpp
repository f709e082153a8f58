#include "core/pincode.hpp"

#include <random>

namespace callsight {

std::string random_pincode(int length) {
  thread_local std::random_device device;
  std::uniform_int_distribution<int> digit(0, 9);
  std::string pin;
  for (int i = 0; i < length; ++i) pin.push_back(static_cast<char>('0' + digit(device)));
  return pin;
}

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
