#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace callsight {

// Drawn from crypto::random_fill, the program's one CSPRNG: ids, tokens and PINs handed to
// clients must not be guessable.
std::string random_hex(std::size_t bytes);
std::string random_uuid_v4();
// A UUIDv7 (RFC 9562): the Unix time in milliseconds, then 74 random bits. Like
// time_ordered_hex_id, for ids that an index keeps (a customer's uuid).
std::string time_ordered_uuid(
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// 32 hex digits: the first 12 are the Unix time in milliseconds, the other 20 random (80
// bits), as UUIDv7 lays them out. Ids made close in time sort together, so an index on them
// takes each new id at its end, on a page the previous ids dirtied already, instead of on a
// random page of its own (a number request's session, docs/storage.md).
std::string time_ordered_hex_id(
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// `count` decimal digits, each uniform over 0-9, leading zeros included.
std::string random_digits(int count);

}  // namespace callsight
