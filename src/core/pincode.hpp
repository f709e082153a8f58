#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/types.hpp"

namespace callsight {

// Reference §2.6: 6, 7 or 8 digits, living 1 to 14 days.
inline constexpr int kPincodeMinLength = 6;
inline constexpr int kPincodeMaxLength = 8;
inline constexpr int kPincodeMinTtlDays = 1;
inline constexpr int kPincodeMaxTtlDays = 14;

// Even 6 digits give a million PINs, so hitting a live one this many times in a row means
// the customer's space is (nearly) full, not bad luck.
inline constexpr int kPincodeMaxDraws = 50;

// A PIN a caller enters to be connected to a callback (Kaisa's "Callback Manager").
struct Pincode {
  Id id = 0;
  Id customer_id = 0;
  std::string pincode;                      // digits only
  std::optional<std::string> phone_number;  // E.164; absent when tied to a call record
  std::optional<Id> cdr_id;
  std::optional<std::string> custom_lead_id;
  std::optional<std::string> custom_lead_data;  // JSON text, kept as given
  std::optional<std::string> outcome;  // how the latest call made with it ended (docs/api.md)
  TimePoint expires;
  std::string created;
};

// Draws one candidate PIN.
using PincodeDraw = std::function<std::string()>;

// `length` uniform decimal digits (leading zeros included) from the program's one CSPRNG
// (common/random.hpp): a PIN must not be guessable from earlier ones.
std::string random_pincode(int length);

// Draws until `is_taken` refuses a candidate no longer; nullopt after kPincodeMaxDraws.
std::optional<std::string> draw_free_pincode(
    const PincodeDraw& draw, const std::function<bool(const std::string&)>& is_taken);

// A PIN given a ttl of N days expires exactly N * 24 hours after it was created.
TimePoint pincode_expiry(TimePoint created, int ttl_days);

}  // namespace callsight
