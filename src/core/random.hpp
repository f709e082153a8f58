#pragma once

#include <cstddef>
#include <string>

namespace callsight {

// Both draw from std::random_device, which libstdc++ backs with the kernel's CSPRNG
// (getrandom / rdrand): ids and tokens handed to clients must not be guessable.
std::string random_hex(std::size_t bytes);
std::string random_uuid_v4();

}  // namespace callsight
