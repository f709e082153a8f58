#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/source.hpp"

namespace callsight {

// AltNumberRule::answering_number of a rule that sends calls to the source's voicemail.
inline constexpr std::string_view kVoicemail = "voicemail";

// Rules accepted in one alt_numbers value; bounds the work of parsing and of routing a call.
inline constexpr std::size_t kMaxAltNumberRules = 100;

// rule_index is -1 when the document as a whole is wrong (not JSON, not an array, too many
// rules); field is the offending key, empty for the rule as a whole. message names the place
// ("alt_numbers[2].weekdays: unknown weekday 'mun'").
struct RuleError {
  int rule_index = -1;
  std::string field;
  std::string message;
};

// The wire alt_numbers value: a JSON array of
// {"phonenr", "weekdays": "mon,fri", "from_time": "08:00", "to_time": "17:00"[, "alt_key"]}.
// Numbers are normalised with the partner's country; an echoed alt_key is kept.
std::variant<std::vector<AltNumberRule>, RuleError> parse_alt_number_rules(
    std::string_view json_text, std::string_view country);

// The wire form, every value a string; weekdays in mon..sun order, 1440 as "24:00".
nlohmann::json render_alt_number_rules(const std::vector<AltNumberRule>& rules);

// Who answers. For a voicemail rule answering_number is empty and voicemail is true; rule
// points into the rules given, nullptr when the default number answers.
struct RouteTarget {
  std::string answering_number;
  bool voicemail = false;
  const AltNumberRule* rule = nullptr;
};

// The first rule (in order) whose weekday and [from, to) minutes hold at now on the wall
// clock of time_zone answers; otherwise the default number does.
RouteTarget answering_target_at(const std::string& default_answering_number,
                                const std::vector<AltNumberRule>& rules, TimePoint now,
                                std::string_view time_zone);

}  // namespace callsight
