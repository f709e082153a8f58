#include "core/blacklist.hpp"

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "core/phone_number.hpp"

namespace callsight {

std::variant<std::vector<std::string>, BlacklistError> parse_blacklist(std::string_view json_text) {
  const auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    return BlacklistError{-1, "phonenrs: must be a JSON array of E.164 numbers"};
  }
  if (doc.size() > kBlacklistMaxNumbers) {
    return BlacklistError{-1,
                          "phonenrs: at most " + std::to_string(kBlacklistMaxNumbers) + " numbers"};
  }
  std::vector<std::string> numbers;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto place = "phonenrs[" + std::to_string(i) + "]: ";
    const int index = static_cast<int>(i);
    if (!doc[i].is_string()) return BlacklistError{index, place + "must be a string"};
    auto normalised = normalize_e164_only(doc[i].get<std::string>());
    if (const auto* error = std::get_if<PhoneNumberError>(&normalised)) {
      return BlacklistError{index, place + error->message};
    }
    auto& number = std::get<std::string>(normalised);
    if (seen.insert(number).second) numbers.push_back(std::move(number));
  }
  return numbers;
}

}  // namespace callsight
