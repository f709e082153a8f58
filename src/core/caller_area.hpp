#pragma once

#include <string>
#include <string_view>

namespace callsight {

// Where a caller is calling from, for people reading call lists: the area code in national
// form and the area's English name from libphonenumber's offline geocoder,
// "+46812345678" → "08 Stockholm". A number without a geographic area (a mobile or
// non-geographic number) gives its national destination code alone ("+46701234567" →
// "070"), because the geocoder names only the country for those and the country says
// nothing a partner does not know. "" when the input is not a valid E.164 number.
std::string caller_area_name(std::string_view e164);

}  // namespace callsight
