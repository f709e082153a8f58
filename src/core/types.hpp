#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace callsight {

using Id = std::int64_t;

// A reseller or agency holding API credentials. Only hashes of the password are kept.
struct Partner {
  Id id = 0;
  std::string name;
  std::string username;
  std::string password_hash;      // slow salted hash for HTTP Basic (see http/credentials.hpp)
  std::string digest_ha1_md5;     // hex MD5(username:realm:password) for HTTP Digest
  std::string digest_ha1_sha256;  // hex SHA-256(username:realm:password) for HTTP Digest
  std::vector<std::string> allowed_cidrs;
  std::string country;   // ISO 3166 alpha-2, used to parse national phone numbers
  std::string timezone;  // IANA name, used for "end of day" and weekday rules
  int quarantine_days = 60;
  int dni_retention_days = 90;  // sessions and hand-outs of dynamic numbers are kept this long
  int dni_number_cap = 1000;    // pool numbers its visitors may hold leased at once
  // Text that, found in a visitor's user agent (ASCII case ignored), makes it a crawler that
  // is shown the original number (dni::is_denied); checked by dni::deny_list_problem.
  std::vector<std::string> dni_denied_user_agents;
  int recording_retention_days = 90;  // a recording's audio is deleted this long after the call
  std::string anum_salt;              // secret per partner behind CDRs' anum_md5; made by the store
  std::string created;                // UTC "YYYY-MM-DD HH:MM:SS"
};

inline constexpr int kCustomFieldCount = 20;

// An end customer (sub-account) of a partner.
struct Customer {
  Id id = 0;
  Id partner_id = 0;
  std::string name;
  std::string custnr;  // the partner's own key, unique per partner
  std::string corporateid;
  std::string email;
  std::string uuid;
  std::string dncs_class_name;
  std::array<std::optional<std::string>, kCustomFieldCount> custom;  // custom_1..custom_20
  int receive_monthly_report = 0;                                    // 0 none, 1 extended, 2 short
  int freespee_caller_id = 0;  // 1: the answering party sees the tracking number
  int whisper = 0;
  std::string created;
  std::string modified;
};

// A login user of a customer account.
struct User {
  Id id = 0;
  Id customer_id = 0;
  std::string email;
  std::string name;
  int write_access = 0;
  int receive_monthly_report = 0;
  std::optional<std::string> token;  // activation token; empty once the user activated
  std::string created;
  std::string modified;
};

}  // namespace callsight
