#pragma once

#include <cstddef>
#include <string>

namespace callsight {

// Drawn from crypto::random_fill, the program's one CSPRNG: ids, tokens and PINs handed to
// clients must not be guessable.
std::string random_hex(std::size_t bytes);
std::string random_uuid_v4();
// `count` decimal digits, each uniform over 0-9, leading zeros included.
std::string random_digits(int count);

}  // namespace callsight
