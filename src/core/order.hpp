#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/types.hpp"

namespace callsight {

// Reference §2.8 gives no limits; these are generous for order systems' keys and JSON extras.
inline constexpr std::size_t kOrderIdMaxLength = 100;
inline constexpr std::size_t kOrderCliIdMaxLength = 100;
inline constexpr std::size_t kOrderExtrasMaxLength = 4000;
// Digits before the decimal point: 13 + 2 decimals is a DECIMAL(15,2), as money columns go.
inline constexpr std::size_t kOrderValueMaxIntegerDigits = 13;

// A sale the partner reports back so calls can be tied to revenue (reference §2.8).
struct Order {
  Id id = 0;
  Id customer_id = 0;
  std::string custnr;   // of the customer, filled when read
  TimePoint timestamp;  // when the order was placed, as the partner says (UTC)
  std::string cli_id;
  std::string order_id;     // the partner's key, unique per customer
  std::string order_value;  // kept as given once is_order_value accepted it
  std::optional<std::string> extras;
  std::string created;  // when the platform received it
};

// A non-negative decimal with at most two decimals: "0", "123", "123.4", "123.45". No sign,
// exponent, thousands separator or bare point (".5", "5."): the value is kept as given text,
// so what is accepted must read the same in every order system.
inline bool is_order_value(std::string_view text) {
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  const auto point = text.find('.');
  const auto whole = text.substr(0, point);
  if (whole.empty() || whole.size() > kOrderValueMaxIntegerDigits ||
      !std::all_of(whole.begin(), whole.end(), is_digit)) {
    return false;
  }
  if (point == std::string_view::npos) return true;
  const auto decimals = text.substr(point + 1);
  return !decimals.empty() && decimals.size() <= 2 &&
         std::all_of(decimals.begin(), decimals.end(), is_digit);
}

}  // namespace callsight
