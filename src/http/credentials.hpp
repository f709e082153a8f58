#pragma once

#include <string>
#include <string_view>

namespace callsight::http {

struct PasswordHashes {
  std::string password_hash;      // "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"
  std::string digest_ha1_md5;     // hex MD5(username:realm:password)
  std::string digest_ha1_sha256;  // hex SHA-256(username:realm:password)
};

// Everything stored for a password; the password itself is never stored.
PasswordHashes hash_password(std::string_view username, std::string_view password);

// Constant-time check of a password against a password_hash from hash_password().
bool verify_password(std::string_view password_hash, std::string_view password);

}  // namespace callsight::http
