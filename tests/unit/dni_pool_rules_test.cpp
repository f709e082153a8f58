#include <gtest/gtest.h>

#include "core/dni/pool_rules.hpp"

namespace callsight::dni {
namespace {

MatchRule rule(RuleKind kind, std::string value, UtmField field = UtmField::source) {
  return {kind, field, std::move(value)};
}

Visit visit(const char* landing, const char* referrer = "") {
  return read_visit(landing, referrer, "");
}

TEST(DniPoolRules, AVisitRuleBeatsAReferrerRuleAndTheDefault) {
  const std::vector<PoolRules> pools{
      {1, true, {}},
      {2, false, {rule(RuleKind::referrer_host_suffix, ".google.com")}},
      {3, false, {rule(RuleKind::utm_exact, "newsletter", UtmField::medium)}},
  };
  const auto choice = choose_pool(
      pools, visit("https://shop.example/?utm_medium=Newsletter", "https://www.google.com/"));
  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->pool_id, 3);
  EXPECT_EQ(choice->level, MatchLevel::visit);
  EXPECT_EQ(choice->rule->kind, RuleKind::utm_exact);
}

TEST(DniPoolRules, AReferrerRuleBeatsTheDefault) {
  const std::vector<PoolRules> pools{
      {1, true, {}},
      {2, false, {rule(RuleKind::referrer_host_suffix, ".google.com")}},
  };
  for (const char* referrer : {"https://www.google.com/search", "https://google.com/"}) {
    const auto choice = choose_pool(pools, visit("https://shop.example/", referrer));
    ASSERT_TRUE(choice.has_value());
    EXPECT_EQ(choice->pool_id, 2) << referrer;
    EXPECT_EQ(choice->level, MatchLevel::referrer);
  }
  const auto other = choose_pool(pools, visit("https://shop.example/", "https://notgoogle.com/"));
  EXPECT_EQ(other->pool_id, 1);
  EXPECT_EQ(other->level, MatchLevel::default_pool);
  EXPECT_FALSE(other->rule.has_value());
}

TEST(DniPoolRules, NoMatchAndNoDefaultIsNone) {
  const std::vector<PoolRules> pools{{2, false, {rule(RuleKind::referrer_host, "bing.com")}}};
  EXPECT_FALSE(choose_pool(pools, visit("https://shop.example/")).has_value());
  EXPECT_FALSE(choose_pool({}, visit("https://shop.example/")).has_value());
}

TEST(DniPoolRules, TheLongerPrefixWinsThenTheLowerPoolId) {
  const std::vector<PoolRules> pools{
      {5, false, {rule(RuleKind::landing_path_prefix, "/offers")}},
      {4, false, {rule(RuleKind::landing_path_prefix, "/offers/tv")}},
      {3, false, {rule(RuleKind::landing_path_prefix, "/offers/tv")}},
  };
  EXPECT_EQ(choose_pool(pools, visit("https://shop.example/offers/tv/55"))->pool_id, 3);
  EXPECT_EQ(choose_pool(pools, visit("https://shop.example/offers/radio"))->pool_id, 5);
  EXPECT_FALSE(choose_pool(pools, visit("https://shop.example/Offers")).has_value());
}

TEST(DniPoolRules, AnExactUtmValueBeatsAPrefixOfTheSameLength) {
  const std::vector<PoolRules> pools{
      {1, false, {rule(RuleKind::utm_prefix, "summer", UtmField::campaign)}},
      {2, false, {rule(RuleKind::utm_exact, "summer", UtmField::campaign)}},
  };
  EXPECT_EQ(choose_pool(pools, visit("/?utm_campaign=summer"))->pool_id, 2);
  EXPECT_EQ(choose_pool(pools, visit("/?utm_campaign=Summer-2026"))->pool_id, 1);
  EXPECT_FALSE(choose_pool(pools, visit("/?utm_source=summer")).has_value());
}

TEST(DniPoolRules, ClickIdPresenceMatchesANamedOrAnyClickId) {
  const std::vector<PoolRules> pools{
      {1, false, {rule(RuleKind::click_id_present, "")}},
      {2, false, {rule(RuleKind::click_id_present, "gclid")}},
  };
  EXPECT_EQ(choose_pool(pools, visit("/?gclid=abc"))->pool_id, 2);
  EXPECT_EQ(choose_pool(pools, visit("/?msclkid=abc"))->pool_id, 1);
  EXPECT_FALSE(choose_pool(pools, visit("/?gclid=")).has_value());
}

TEST(DniPoolRules, QueryContainsAndExactReferrerHost) {
  const std::vector<PoolRules> pools{
      {1, false, {rule(RuleKind::landing_query_contains, "promo=tv")}},
      {2, false, {rule(RuleKind::referrer_host, "Bing.com")}},
  };
  EXPECT_EQ(choose_pool(pools, visit("/x?a=1&promo=tv", "https://bing.com/"))->pool_id, 1);
  EXPECT_EQ(choose_pool(pools, visit("/x?promo=radio", "https://bing.com/"))->pool_id, 2);
  EXPECT_FALSE(choose_pool(pools, visit("/x", "https://www.bing.com/")).has_value());
}

TEST(DniPoolRules, EmptyRuleValuesMatchNothing) {
  const std::vector<PoolRules> pools{
      {1,
       false,
       {rule(RuleKind::landing_path_prefix, ""), rule(RuleKind::utm_prefix, ""),
        rule(RuleKind::referrer_host_suffix, ".")}}};
  EXPECT_FALSE(choose_pool(pools, visit("/?utm_source=x", "https://a.b/")).has_value());
}

TEST(DniPoolRules, TheLowestDefaultPoolIdWinsWhenSeveralAreDefault) {
  const std::vector<PoolRules> pools{{8, true, {}}, {6, true, {}}};
  EXPECT_EQ(choose_pool(pools, visit("/"))->pool_id, 6);
}

// The names are what the store keeps and the API reads: each names one value, both ways.
TEST(DniPoolRules, EveryKindAndUtmFieldHasOneNameReadBack) {
  for (auto kind : {RuleKind::landing_path_prefix, RuleKind::landing_query_contains,
                    RuleKind::utm_exact, RuleKind::utm_prefix, RuleKind::click_id_present,
                    RuleKind::referrer_host, RuleKind::referrer_host_suffix}) {
    EXPECT_EQ(rule_kind_named(rule_kind_name(kind)), kind);
  }
  for (auto field : {UtmField::source, UtmField::medium, UtmField::campaign, UtmField::term,
                     UtmField::content}) {
    EXPECT_EQ(utm_field_named(utm_field_name(field)), field);
  }
  EXPECT_EQ(rule_kind_name(RuleKind::referrer_host_suffix), "referrer_host_suffix");
  EXPECT_EQ(utm_field_name(UtmField::campaign), "campaign");
  EXPECT_FALSE(rule_kind_named("Referrer_Host"));
  EXPECT_FALSE(rule_kind_named(""));
  EXPECT_FALSE(utm_field_named("utm_source"));
}

}  // namespace
}  // namespace callsight::dni
