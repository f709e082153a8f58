#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dni/visit.hpp"
#include "core/types.hpp"

// Which of a customer's pools serves a visit. Precedence, first level that matches wins:
//   1. visit rules: the landing URL (path prefix, query contains), a UTM value (exact or
//      prefix), or the presence of an ad click id: what the visitor clicked says most about
//      which campaign made them call;
//   2. referrer rules (the referring host, or a host suffix like ".google.com"): where the
//      visitor came from, when the URL carries nothing the pools ask for;
//   3. the customer's default pool.
// Within a level the more specific rule wins (the longer value; an exact UTM value before a
// prefix of the same length), then the lowest pool id, so the choice never depends on order.
// Comparisons: paths and query text are case-sensitive as URLs are; UTM values and hosts are
// compared without regard to ASCII case, since ad tools and people spell them either way.
namespace callsight::dni {

enum class RuleKind {
  landing_path_prefix,     // value "/offers" matches "/offers" and "/offers/summer"
  landing_query_contains,  // value "campaign=summer" found in the raw query text
  utm_exact,               // utm_field equals value
  utm_prefix,              // utm_field starts with value
  click_id_present,        // value names the click id ("gclid"), or "" for any of them
  referrer_host,           // the referrer's host equals value
  referrer_host_suffix,    // value ".google.com" matches "google.com" and "www.google.com"
};

enum class UtmField { source, medium, campaign, term, content };

struct MatchRule {
  RuleKind kind = RuleKind::landing_path_prefix;
  UtmField utm_field = UtmField::source;  // read by the utm kinds only
  std::string value;
};

struct PoolRules {
  Id pool_id = 0;
  bool is_default = false;
  std::vector<MatchRule> rules;
};

enum class MatchLevel { visit, referrer, default_pool };

struct PoolChoice {
  Id pool_id = 0;
  MatchLevel level = MatchLevel::default_pool;
  std::optional<MatchRule> rule;  // the rule that matched; none for the default pool
};

// The names rules are stored and written under ("landing_path_prefix", "source", ...): one
// spelling for the database and the API, independent of the enums' order.
std::string_view rule_kind_name(RuleKind kind);
std::optional<RuleKind> rule_kind_named(std::string_view name);
std::string_view utm_field_name(UtmField field);
std::optional<UtmField> utm_field_named(std::string_view name);

// None when no pool matches and the customer has no default pool.
std::optional<PoolChoice> choose_pool(const std::vector<PoolRules>& pools, const Visit& visit);

}  // namespace callsight::dni
