#include "core/alt_number_rules.hpp"

#include <gtest/gtest.h>

#include "core/time_format.hpp"

namespace callsight {
namespace {

constexpr std::string_view kStockholm = "Europe/Stockholm";
constexpr std::string_view kWorkdays =
    R"({"phonenr": "0890510", "weekdays": "mon,tue,wed,thu,fri", "from_time": "08:00",
        "to_time": "17:00"})";

std::vector<AltNumberRule> parsed_rules(std::string_view json_text) {
  auto result = parse_alt_number_rules(json_text, "SE");
  if (auto* error = std::get_if<RuleError>(&result)) {
    ADD_FAILURE() << error->message;
    return {};
  }
  return std::get<std::vector<AltNumberRule>>(std::move(result));
}

RuleError rejected(std::string_view json_text) {
  auto result = parse_alt_number_rules(json_text, "SE");
  if (auto* error = std::get_if<RuleError>(&result)) return *error;
  ADD_FAILURE() << "accepted: " << json_text;
  return {};
}

// One rule object with a field replaced (or removed when value is empty).
std::string rule_with(std::string_view key, const nlohmann::json& value) {
  auto rule = nlohmann::json::parse(kWorkdays);
  if (value.is_null()) {
    rule.erase(std::string(key));
  } else {
    rule[std::string(key)] = value;
  }
  return nlohmann::json::array({rule}).dump();
}

TimePoint utc(std::string_view text) {
  const auto t = parse_utc(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

TEST(AltNumberRules, ParsesTheReferenceExample) {
  const auto rules = parsed_rules(std::string("[") + std::string(kWorkdays) + "]");
  ASSERT_EQ(rules.size(), 1U);
  EXPECT_EQ(rules[0].answering_number, "+46890510");
  EXPECT_EQ(rules[0].weekdays, 0b0011111);
  EXPECT_EQ(rules[0].from_minute, 8 * 60);
  EXPECT_EQ(rules[0].to_minute, 17 * 60);
  EXPECT_EQ(rules[0].alt_key, "");
}

TEST(AltNumberRules, EmptyArrayClearsRules) { EXPECT_TRUE(parsed_rules("[]").empty()); }

TEST(AltNumberRules, WeekdaysAreCaseInsensitiveAndMaySpaceOrRepeat) {
  const auto rules = parsed_rules(rule_with("weekdays", " Sat , SUN,sat"));
  ASSERT_EQ(rules.size(), 1U);
  EXPECT_EQ(rules[0].weekdays, 0b1100000);
}

TEST(AltNumberRules, AcceptsVoicemailAnd2400) {
  const auto rules = parsed_rules(
      R"([{"phonenr": "voicemail", "weekdays": "sun", "from_time": "00:00", "to_time": "24:00"}])");
  ASSERT_EQ(rules.size(), 1U);
  EXPECT_EQ(rules[0].answering_number, "voicemail");
  EXPECT_EQ(rules[0].from_minute, 0);
  EXPECT_EQ(rules[0].to_minute, 1440);
}

TEST(AltNumberRules, KeepsAnEchoedAltKey) {
  EXPECT_EQ(parsed_rules(rule_with("alt_key", "17"))[0].alt_key, "17");
  EXPECT_EQ(parsed_rules(rule_with("alt_key", 18))[0].alt_key, "18");
}

TEST(AltNumberRules, RoundTripsThroughTheWireForm) {
  const std::string wire =
      R"([{"alt_key":"5","from_time":"08:00","phonenr":"+46890510","to_time":"17:00","weekdays":"mon,fri"},)"
      R"({"alt_key":"6","from_time":"00:00","phonenr":"voicemail","to_time":"24:00","weekdays":"sat,sun"}])";
  EXPECT_EQ(render_alt_number_rules(parsed_rules(wire)).dump(), wire);
}

TEST(AltNumberRules, RendersWeekdaysInWeekOrderAndTimesPadded) {
  const auto rules = parsed_rules(
      R"([{"phonenr": "01890520", "weekdays": "fri,mon", "from_time": "07:05", "to_time": "09:30"}])");
  const auto wire = render_alt_number_rules(rules);
  EXPECT_EQ(wire[0]["weekdays"], "mon,fri");
  EXPECT_EQ(wire[0]["phonenr"], "+461890520");
  EXPECT_EQ(wire[0]["from_time"], "07:05");
  EXPECT_EQ(wire[0]["to_time"], "09:30");
  EXPECT_EQ(wire[0]["alt_key"], "");
}

TEST(AltNumberRules, RejectsDocumentsThatAreNotArrays) {
  for (const auto* text : {"", "not json", "{}", R"({"phonenr":"0890510"})", "\"[]\""}) {
    const auto error = rejected(text);
    EXPECT_EQ(error.rule_index, -1) << text;
    EXPECT_EQ(error.message.rfind("alt_numbers: ", 0), 0U) << error.message;
  }
}

TEST(AltNumberRules, RejectsTooManyRules) {
  auto many = nlohmann::json::array();
  for (std::size_t i = 0; i <= kMaxAltNumberRules; ++i)
    many.push_back(nlohmann::json::parse(kWorkdays));
  EXPECT_EQ(rejected(many.dump()).rule_index, -1);
}

TEST(AltNumberRules, ErrorNamesRuleIndexAndField) {
  const auto error = rejected(
      std::string("[") + std::string(kWorkdays) + "," + std::string(kWorkdays) +
      R"(, {"phonenr": "0890510", "weekdays": "mon,mun", "from_time": "08:00", "to_time": "17:00"}])");
  EXPECT_EQ(error.rule_index, 2);
  EXPECT_EQ(error.field, "weekdays");
  EXPECT_EQ(error.message.rfind("alt_numbers[2].weekdays: entry 2 is not a weekday", 0), 0U)
      << error.message;
  EXPECT_EQ(error.message.find("mun"), std::string::npos) << "quotes the value: " << error.message;
}

TEST(AltNumberRules, RejectsRuleThatIsNotAnObject) {
  const auto error = rejected(R"(["0890510"])");
  EXPECT_EQ(error.rule_index, 0);
  EXPECT_EQ(error.field, "");
  EXPECT_EQ(error.message, "alt_numbers[0]: must be an object");
}

TEST(AltNumberRules, RejectsUnknownKeys) {
  const auto error = rejected(rule_with("phone", "0890510"));
  EXPECT_EQ(error.rule_index, 0);
  EXPECT_EQ(error.field, "phone");
}

struct FieldCase {
  const char* field;
  nlohmann::json value;  // null: the field is left out
};

class AltNumberRuleFieldErrors : public ::testing::TestWithParam<FieldCase> {};

TEST_P(AltNumberRuleFieldErrors, NamesTheFieldAtFault) {
  const auto& c = GetParam();
  const auto error = rejected(rule_with(c.field, c.value));
  EXPECT_EQ(error.rule_index, 0);
  EXPECT_EQ(error.field, c.field);
  EXPECT_EQ(error.message.rfind("alt_numbers[0]." + std::string(c.field) + ": ", 0), 0U)
      << error.message;
}

INSTANTIATE_TEST_SUITE_P(
    AltNumberRules, AltNumberRuleFieldErrors,
    ::testing::Values(
        FieldCase{"phonenr", nullptr}, FieldCase{"phonenr", 890510}, FieldCase{"phonenr", "123"},
        FieldCase{"phonenr", "08-FLOWERS"}, FieldCase{"phonenr", ""},
        FieldCase{"weekdays", nullptr}, FieldCase{"weekdays", ""}, FieldCase{"weekdays", " "},
        FieldCase{"weekdays", "mon,,tue"}, FieldCase{"weekdays", "mon,"},
        FieldCase{"weekdays", "monday"}, FieldCase{"weekdays", nlohmann::json::array({"mon"})},
        FieldCase{"from_time", nullptr}, FieldCase{"from_time", "8:00"},
        FieldCase{"from_time", "08:60"}, FieldCase{"from_time", "24:00"},
        FieldCase{"from_time", "08h00"}, FieldCase{"from_time", 800}, FieldCase{"to_time", nullptr},
        FieldCase{"to_time", "00:00"}, FieldCase{"to_time", "24:01"}, FieldCase{"to_time", "25:00"},
        FieldCase{"to_time", "07:00"}, FieldCase{"to_time", "08:00"}, FieldCase{"alt_key", true},
        FieldCase{"alt_key", -1}));

const std::string kDefault = "+46812345678";

TEST(AltNumberRules, WorkdayRuleAnswersFromItsStartUntilItsEnd) {
  const auto rules = parsed_rules(std::string("[") + std::string(kWorkdays) + "]");
  // Monday 2026-01-19, Stockholm is UTC+1 in winter.
  EXPECT_EQ(
      answering_target_at(kDefault, rules, utc("2026-01-19 06:59:00"), kStockholm).answering_number,
      kDefault);
  const auto at_eight =
      answering_target_at(kDefault, rules, utc("2026-01-19 07:00:00"), kStockholm);
  EXPECT_EQ(at_eight.answering_number, "+46890510");
  EXPECT_EQ(at_eight.rule, &rules[0]);
  EXPECT_FALSE(at_eight.voicemail);
  EXPECT_EQ(
      answering_target_at(kDefault, rules, utc("2026-01-19 15:59:59"), kStockholm).answering_number,
      "+46890510");
  const auto at_five = answering_target_at(kDefault, rules, utc("2026-01-19 16:00:00"), kStockholm);
  EXPECT_EQ(at_five.answering_number, kDefault);
  EXPECT_EQ(at_five.rule, nullptr);
}

TEST(AltNumberRules, RulesFollowTheZonesSummerTime) {
  const auto rules = parsed_rules(std::string("[") + std::string(kWorkdays) + "]");
  // Monday 2026-07-06 08:00 CEST is 06:00 UTC.
  EXPECT_EQ(answering_target_at(kDefault, rules, utc("2026-07-06 05:59:00"), kStockholm).rule,
            nullptr);
  EXPECT_EQ(answering_target_at(kDefault, rules, utc("2026-07-06 06:00:00"), kStockholm).rule,
            &rules[0]);
}

TEST(AltNumberRules, WeekdayIsTheLocalOne) {
  const auto rules = parsed_rules(
      R"([{"phonenr": "0890510", "weekdays": "mon", "from_time": "00:00", "to_time": "01:00"}])");
  // Sunday 23:30 UTC is Monday 00:30 in Stockholm but still Sunday in UTC.
  const auto t = utc("2026-01-18 23:30:00");
  EXPECT_EQ(answering_target_at(kDefault, rules, t, kStockholm).answering_number, "+46890510");
  EXPECT_EQ(answering_target_at(kDefault, rules, t, "UTC").answering_number, kDefault);
}

TEST(AltNumberRules, FirstMatchingRuleWins) {
  const auto rules = parsed_rules(
      R"([{"phonenr": "0890510", "weekdays": "mon", "from_time": "12:00", "to_time": "13:00"},
          {"phonenr": "01890520", "weekdays": "mon,tue", "from_time": "08:00", "to_time": "17:00"}])");
  EXPECT_EQ(answering_target_at(kDefault, rules, utc("2026-01-19 11:30:00"), kStockholm).rule,
            &rules[0]);
  EXPECT_EQ(answering_target_at(kDefault, rules, utc("2026-01-19 13:00:00"), kStockholm).rule,
            &rules[1]);
  EXPECT_EQ(answering_target_at(kDefault, rules, utc("2026-01-20 11:30:00"), kStockholm).rule,
            &rules[1]);
}

TEST(AltNumberRules, SundayVoicemailRuleSendsCallsToVoicemail) {
  const auto rules = parsed_rules(
      R"([{"phonenr": "voicemail", "weekdays": "sun", "from_time": "00:00", "to_time": "24:00"}])");
  // Sunday 2026-01-25 23:59 local is 22:59 UTC; Monday begins at 23:00 UTC.
  const auto sunday = answering_target_at(kDefault, rules, utc("2026-01-25 22:59:00"), kStockholm);
  EXPECT_TRUE(sunday.voicemail);
  EXPECT_EQ(sunday.answering_number, "");
  EXPECT_EQ(sunday.rule, &rules[0]);
  const auto monday = answering_target_at(kDefault, rules, utc("2026-01-25 23:00:00"), kStockholm);
  EXPECT_FALSE(monday.voicemail);
  EXPECT_EQ(monday.answering_number, kDefault);
}

TEST(AltNumberRules, NoRulesMeansTheDefaultNumber) {
  const auto target = answering_target_at(kDefault, {}, utc("2026-01-19 10:00:00"), kStockholm);
  EXPECT_EQ(target.answering_number, kDefault);
  EXPECT_FALSE(target.voicemail);
  EXPECT_EQ(target.rule, nullptr);
}

}  // namespace
}  // namespace callsight
