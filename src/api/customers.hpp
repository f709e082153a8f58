#pragma once

#include "api/json_writer.hpp"
#include "core/types.hpp"

namespace callsight::api {

// A customer's JSON object: the fields in the reference's order (§2.2), every value a string,
// an unset custom field null.
void write_customer(JsonWriter& out, const Customer& customer);

}  // namespace callsight::api
