#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.hpp"

// Server-side number requests (the DNCS API) are signed, since Freespee's own scheme is not
// public: `X-Callsight-Timestamp` carries Unix seconds, `X-Callsight-Signature` the lower-case
// hex HMAC-SHA256 under the partner's DNCS secret over `timestamp + "." + body`. The timestamp
// bounds how long a captured request can be replayed; within the window the store refuses a
// signature it has seen before.
namespace callsight::dni {

// How far a request's timestamp may lie from the server's clock, either way.
inline constexpr std::chrono::seconds kSignatureWindow{300};

enum class SignatureCheck {
  valid,
  bad_timestamp,  // not Unix seconds in decimal digits
  stale,          // further than kSignatureWindow from now
  bad_signature,  // not 64 lower-case hex digits, or not the request's HMAC
};

SignatureCheck verify_signature(std::string_view secret, std::string_view timestamp,
                                std::string_view signature, std::string_view body, TimePoint now);

// The signature a client sends: for partners' client libraries, tests and the documentation.
std::string sign_request(std::string_view secret, std::string_view timestamp,
                         std::string_view body);

}  // namespace callsight::dni
