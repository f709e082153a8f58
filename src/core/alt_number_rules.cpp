#include "core/alt_number_rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>

#include "common/text.hpp"
#include "core/local_time.hpp"
#include "core/phone_number.hpp"

namespace callsight {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 7> kWeekdayNames = {"mon", "tue", "wed", "thu",
                                                           "fri", "sat", "sun"};
constexpr std::array<std::string_view, 5> kRuleKeys = {"alt_key", "phonenr", "weekdays",
                                                       "from_time", "to_time"};
constexpr int kMinutesPerDay = 24 * 60;

RuleError rule_error(int index, std::string_view field, std::string_view problem) {
  std::string place = "alt_numbers[" + std::to_string(index) + "]";
  if (!field.empty()) place += "." + std::string(field);
  return {index, std::string(field), place + ": " + std::string(problem)};
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Returns the set, or the problem. A repeated day is harmless and simply kept once.
std::variant<WeekdaySet, std::string> parse_weekdays(std::string_view text) {
  if (trim(text).empty()) return std::string("must name at least one weekday");
  WeekdaySet days = 0;
  for (int entry = 1;; ++entry) {
    const auto comma = text.find(',');
    const auto name = ascii_lower(trim(text.substr(0, comma)));
    if (name.empty()) return std::string("has an empty entry (a stray comma)");
    const auto found = std::find(kWeekdayNames.begin(), kWeekdayNames.end(), name);
    if (found == kWeekdayNames.end()) {
      // The entry is counted, not quoted: errors never echo what the partner sent.
      return "entry " + std::to_string(entry) +
             " is not a weekday (use mon,tue,wed,thu,fri,sat,sun)";
    }
    days |= static_cast<WeekdaySet>(1U << (found - kWeekdayNames.begin()));
    if (comma == std::string_view::npos) return days;
    text.remove_prefix(comma + 1);
  }
}

// "HH:MM" to minutes after midnight, 0..1440 ("24:00" is the end of the day).
std::optional<int> parse_clock(std::string_view text) {
  const auto digit = [&](std::size_t i) {
    return std::isdigit(static_cast<unsigned char>(text[i]));
  };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
  return hours * 60 + minutes;
}

std::string format_clock(int minutes) {
  const auto two = [](int v) {
    return std::string{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)};
  };
  return two(minutes / 60) + ":" + two(minutes % 60);
}

// The string value of a required key, or the problem with it.
std::variant<std::string, RuleError> required_string(const json& rule, int index,
                                                     std::string_view key) {
  const auto it = rule.find(key);
  if (it == rule.end()) return rule_error(index, key, "is required");
  if (!it->is_string()) return rule_error(index, key, "must be a string");
  return it->get<std::string>();
}

// Clients echo alt_key back as the platform rendered it (a string) or as a number.
std::variant<std::string, RuleError> optional_alt_key(const json& rule, int index) {
  const auto it = rule.find("alt_key");
  if (it == rule.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
  return rule_error(index, "alt_key", "must be a string or a non-negative integer");
}

std::optional<RuleError> check_keys(const json& rule, int index) {
  for (const auto& [key, value] : rule.items()) {
    if (std::find(kRuleKeys.begin(), kRuleKeys.end(), key) == kRuleKeys.end()) {
      return rule_error(index, key,
                        "unknown key (allowed: alt_key, phonenr, weekdays, from_time, to_time)");
    }
  }
  return std::nullopt;
}

std::variant<AltNumberRule, RuleError> parse_rule(const json& rule, int index,
                                                  std::string_view country) {
  if (!rule.is_object()) return rule_error(index, "", "must be an object");
  if (auto error = check_keys(rule, index)) return *error;
  AltNumberRule parsed;

  auto alt_key = optional_alt_key(rule, index);
  if (auto* error = std::get_if<RuleError>(&alt_key)) return *error;
  parsed.alt_key = std::get<std::string>(std::move(alt_key));

  auto phonenr = required_string(rule, index, "phonenr");
  if (auto* error = std::get_if<RuleError>(&phonenr)) return *error;
  const auto& number = std::get<std::string>(phonenr);
  if (ascii_lower(trim(number)) == kVoicemail) {
    parsed.answering_number = kVoicemail;
  } else {
    auto normalized = normalize_phone_number(number, country);
    if (auto* error = std::get_if<PhoneNumberError>(&normalized)) {
      return rule_error(index, "phonenr", error->message);
    }
    parsed.answering_number = std::get<std::string>(std::move(normalized));
  }

  auto weekdays_text = required_string(rule, index, "weekdays");
  if (auto* error = std::get_if<RuleError>(&weekdays_text)) return *error;
  const auto weekdays = parse_weekdays(std::get<std::string>(weekdays_text));
  if (auto* problem = std::get_if<std::string>(&weekdays)) {
    return rule_error(index, "weekdays", *problem);
  }
  parsed.weekdays = std::get<WeekdaySet>(weekdays);

  auto from_text = required_string(rule, index, "from_time");
  if (auto* error = std::get_if<RuleError>(&from_text)) return *error;
  const auto from = parse_clock(std::get<std::string>(from_text));
  if (!from || *from >= kMinutesPerDay) {
    return rule_error(index, "from_time", "must be a time 'HH:MM' from 00:00 to 23:59");
  }
  auto to_text = required_string(rule, index, "to_time");
  if (auto* error = std::get_if<RuleError>(&to_text)) return *error;
  const auto to = parse_clock(std::get<std::string>(to_text));
  if (!to || *to == 0) {
    return rule_error(index, "to_time", "must be a time 'HH:MM' from 00:01 to 24:00");
  }
  // Rules do not run past midnight; a night rule is two rules (22:00-24:00, 00:00-06:00).
  if (*from >= *to) {
    return rule_error(
        index, "to_time",
        "must be later than from_time; split a rule that runs past midnight into two");
  }
  parsed.from_minute = *from;
  parsed.to_minute = *to;
  return parsed;
}

std::string render_weekdays(WeekdaySet days) {
  std::string out;
  for (int day = 0; day < 7; ++day) {
    if ((days & (1U << day)) == 0) continue;
    if (!out.empty()) out += ',';
    out += kWeekdayNames[day];
  }
  return out;
}

}  // namespace

std::variant<std::vector<AltNumberRule>, RuleError> parse_alt_number_rules(
    std::string_view json_text, std::string_view country) {
  const auto document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return RuleError{-1, "", "alt_numbers: is not valid JSON"};
  if (!document.is_array()) {
    return RuleError{-1, "", "alt_numbers: must be a JSON array of rules"};
  }
  if (document.size() > kMaxAltNumberRules) {
    return RuleError{-1, "",
                     "alt_numbers: at most " + std::to_string(kMaxAltNumberRules) + " rules"};
  }
  std::vector<AltNumberRule> rules;
  rules.reserve(document.size());
  for (std::size_t i = 0; i < document.size(); ++i) {
    auto rule = parse_rule(document[i], static_cast<int>(i), country);
    if (auto* error = std::get_if<RuleError>(&rule)) return *error;
    rules.push_back(std::get<AltNumberRule>(std::move(rule)));
  }
  return rules;
}

nlohmann::json render_alt_number_rules(const std::vector<AltNumberRule>& rules) {
  auto out = json::array();
  for (const auto& rule : rules) {
    out.push_back({{"alt_key", rule.alt_key},
                   {"phonenr", rule.answering_number},
                   {"weekdays", render_weekdays(rule.weekdays)},
                   {"from_time", format_clock(rule.from_minute)},
                   {"to_time", format_clock(rule.to_minute)}});
  }
  return out;
}

RouteTarget answering_target_at(const std::string& default_answering_number,
                                const std::vector<AltNumberRule>& rules, TimePoint now,
                                std::string_view time_zone) {
  const auto moment = local_moment(now, time_zone);
  for (const auto& rule : rules) {
    const bool on_day = (rule.weekdays & (1U << moment.weekday)) != 0;
    if (!on_day || moment.minute_of_day < rule.from_minute ||
        moment.minute_of_day >= rule.to_minute) {
      continue;
    }
    if (rule.answering_number == kVoicemail) return {"", true, &rule};
    return {rule.answering_number, false, &rule};
  }
  return {default_answering_number, false, nullptr};
}

}  // namespace callsight
