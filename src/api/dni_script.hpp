#pragma once

#include <string_view>

namespace callsight::api {

// The script a customer's site loads with one tag to show dynamic numbers.
std::string_view browser_script();

}  // namespace callsight::api
