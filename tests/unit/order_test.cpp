#include "core/order.hpp"

#include <gtest/gtest.h>

namespace callsight {
namespace {

TEST(OrderValue, AcceptsNonNegativeDecimalsWithAtMostTwoDecimals) {
  for (const char* text : {"0", "123", "123.4", "123.45", "0.05", "007.50", "1234567890123.99"}) {
    EXPECT_TRUE(is_order_value(text)) << text;
  }
}

TEST(OrderValue, RefusesSignsExponentsSeparatorsAndBarePoints) {
  for (const char* text : {"", "-1", "+1", "1e5", "1,5", "1 000", ".5", "5.", ".", "1.2.3", "12a",
                           "0x10", " 1", "1 "}) {
    EXPECT_FALSE(is_order_value(text)) << "'" << text << "'";
  }
}

TEST(OrderValue, RefusesMoreThanTwoDecimals) {
  EXPECT_FALSE(is_order_value("123.456"));
  EXPECT_FALSE(is_order_value("0.001"));
}

TEST(OrderValue, RefusesMoreIntegerDigitsThanADecimal15Point2Holds) {
  EXPECT_TRUE(is_order_value(std::string(kOrderValueMaxIntegerDigits, '9')));
  EXPECT_FALSE(is_order_value(std::string(kOrderValueMaxIntegerDigits + 1, '9')));
}

}  // namespace
}  // namespace callsight
