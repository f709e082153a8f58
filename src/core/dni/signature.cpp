#include "core/dni/signature.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>

#include "common/crypto.hpp"

namespace callsight::dni {
namespace {

constexpr std::size_t kSignatureLength = 64;     // hex of 32 bytes
constexpr std::size_t kMaxTimestampDigits = 12;  // Unix seconds past the year 30000 are not sent

std::optional<std::int64_t> unix_seconds(std::string_view text) {
  if (text.empty() || text.size() > kMaxTimestampDigits) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool is_lower_hex_digest(std::string_view text) {
  return text.size() == kSignatureLength && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

SignatureCheck verify_signature(std::string_view secret, std::string_view timestamp,
                                std::string_view signature, std::string_view body, TimePoint now) {
  const auto sent = unix_seconds(timestamp);
  if (!sent) return SignatureCheck::bad_timestamp;
  const auto distance = *sent - now.time_since_epoch().count();
  if (distance > kSignatureWindow.count() || -distance > kSignatureWindow.count()) {
    return SignatureCheck::stale;
  }
  if (!is_lower_hex_digest(signature)) return SignatureCheck::bad_signature;
  const bool same = crypto::constant_time_equals(sign_request(secret, timestamp, body), signature);
  return same ? SignatureCheck::valid : SignatureCheck::bad_signature;
}

std::string sign_request(std::string_view secret, std::string_view timestamp,
                         std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return crypto::hmac_sha256_hex(secret, signed_text);
}

}  // namespace callsight::dni
