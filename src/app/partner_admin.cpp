#include "app/partner_admin.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/cidr.hpp"
#include "core/country.hpp"
#include "core/dni/bots.hpp"
#include "core/local_time.hpp"
#include "core/phone_number.hpp"
#include "http/credentials.hpp"
#include "store/partner_store.hpp"

namespace callsight::app {
namespace {

constexpr std::size_t kMaxRangeSize = 100'000;

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

}  // namespace

// Messages name the option and count the entry; they never echo what was typed.
std::vector<std::string> parse_cidr_list(const std::string& comma_separated) {
  std::vector<std::string> cidrs;
  std::size_t start = 0;
  while (start <= comma_separated.size()) {
    const auto comma = comma_separated.find(',', start);
    auto item = comma_separated.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(std::remove_if(item.begin(), item.end(), ::isspace), item.end());
    if (!item.empty()) {
      require(is_valid_cidr(item), "--allow-ip: entry " + std::to_string(cidrs.size() + 1) +
                                       " is not an IP address or CIDR");
      cidrs.push_back(item);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  require(!cidrs.empty(), "--allow-ip: give at least one IP address or CIDR");
  return cidrs;
}

void set_password(Partner& partner, const std::string& password) {
  require(password.size() >= 4, "--password: at least 4 characters");
  const auto hashes = http::hash_password(partner.username, password);
  partner.password_hash = hashes.password_hash;
  partner.digest_ha1_md5 = hashes.digest_ha1_md5;
  partner.digest_ha1_sha256 = hashes.digest_ha1_sha256;
}

void validate_partner(const Partner& partner) {
  require(!partner.name.empty(), "--name: must not be empty");
  require(!partner.username.empty() && partner.username.find(':') == std::string::npos &&
              partner.username.find('"') == std::string::npos,
          "--username: must be non-empty without ':' or '\"'");
  require(is_known_country(partner.country), "--country: not a known ISO country code");
  require(is_known_time_zone(partner.timezone), "--timezone: not a known IANA time zone");
  require(partner.quarantine_days >= 0 && partner.quarantine_days <= 3650,
          "--quarantine-days: from 0 to 3650");
  // At least a week: a number stays held up to three days after its session's last sign of
  // life (lease, grace and cooldown of a day each at most), and its hand-out must outlive that.
  require(partner.dni_retention_days >= 7 && partner.dni_retention_days <= 3650,
          "--dni-retention-days: from 7 to 3650");
  require(partner.recording_retention_days >= 1 && partner.recording_retention_days <= 3650,
          "--recording-retention-days: from 1 to 3650");
  require(partner.dni_number_cap >= 0 && partner.dni_number_cap <= 1000000,
          "--dni-number-cap: from 0 to 1000000");
  if (const auto problem = dni::deny_list_problem(partner.dni_denied_user_agents)) {
    throw std::invalid_argument("dni-deny-list: " + *problem);
  }
  require(!partner.allowed_cidrs.empty(), "--allow-ip: give at least one IP address or CIDR");
  for (std::size_t i = 0; i < partner.allowed_cidrs.size(); ++i) {
    require(is_valid_cidr(partner.allowed_cidrs[i]),
            "--allow-ip: entry " + std::to_string(i + 1) + " is not an IP address or CIDR");
  }
}

Partner add_partner(Store& store, const PartnerSpec& spec) {
  Partner partner;
  partner.name = spec.name;
  partner.username = spec.username;
  partner.allowed_cidrs = spec.allowed_cidrs;
  partner.country = spec.country;
  partner.timezone = spec.timezone;
  partner.quarantine_days = spec.quarantine_days;
  validate_partner(partner);
  set_password(partner, spec.password);
  return store.partners().create_partner(partner);
}

std::vector<std::string> expand_number_ranges(const std::vector<std::string>& arguments) {
  std::vector<std::string> numbers;
  for (std::size_t position = 1; position <= arguments.size(); ++position) {
    const auto& argument = arguments[position - 1];
    const auto which = "numbers: argument " + std::to_string(position);
    const auto dash = argument.find("-+");
    if (dash == std::string::npos) {
      require(is_e164(argument), which + " is not an E.164 number (+46...)");
      numbers.push_back(argument);
      continue;
    }
    const auto from = argument.substr(0, dash);
    const auto to = argument.substr(dash + 1);
    require(is_e164(from) && is_e164(to) && from.size() == to.size() && all_digits(from.substr(1)),
            which + " is not a range of E.164 numbers of one length (+4681000-+4681099)");
    // Ranges vary in their last digits; up to 18 digits fit in an unsigned 64-bit integer.
    const auto first = std::stoull(from.substr(1));
    const auto last = std::stoull(to.substr(1));
    require(first <= last && last - first < kMaxRangeSize,
            which + " must run upwards and hold at most 100000 numbers");
    for (auto n = first; n <= last; ++n) {
      auto digits = std::to_string(n);
      digits.insert(0, from.size() - 1 - digits.size(), '0');
      numbers.push_back("+" + digits);
    }
  }
  return numbers;
}

}  // namespace callsight::app
