#include "core/dni/pool_rules.hpp"

#include <array>
#include <tuple>
#include <utility>

#include "common/text.hpp"

namespace callsight::dni {
namespace {

constexpr std::array<std::pair<RuleKind, std::string_view>, 7> kRuleKinds = {{
    {RuleKind::landing_path_prefix, "landing_path_prefix"},
    {RuleKind::landing_query_contains, "landing_query_contains"},
    {RuleKind::utm_exact, "utm_exact"},
    {RuleKind::utm_prefix, "utm_prefix"},
    {RuleKind::click_id_present, "click_id_present"},
    {RuleKind::referrer_host, "referrer_host"},
    {RuleKind::referrer_host_suffix, "referrer_host_suffix"},
}};
constexpr std::array<std::pair<UtmField, std::string_view>, 5> kUtmFields = {{
    {UtmField::source, "source"},
    {UtmField::medium, "medium"},
    {UtmField::campaign, "campaign"},
    {UtmField::term, "term"},
    {UtmField::content, "content"},
}};

template <class Enum, std::size_t N>
std::string_view name_in(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) {
  for (const auto& [each, name] : names) {
    if (each == value) return name;
  }
  return names.front().second;  // unreachable: every enumerator is named
}

template <class Enum, std::size_t N>
std::optional<Enum> value_in(const std::array<std::pair<Enum, std::string_view>, N>& names,
                             std::string_view name) {
  for (const auto& [value, each] : names) {
    if (each == name) return value;
  }
  return std::nullopt;
}

const std::string& utm_value(const UtmValues& utm, UtmField field) {
  switch (field) {
    case UtmField::source:
      return utm.source;
    case UtmField::medium:
      return utm.medium;
    case UtmField::campaign:
      return utm.campaign;
    case UtmField::term:
      return utm.term;
    case UtmField::content:
      return utm.content;
  }
  return utm.source;
}

bool has_click_id(const ClickIds& ids, std::string_view name) {
  if (name.empty()) return ids.any();
  const std::string lower = ascii_lower(name);
  return (lower == "gclid" && !ids.gclid.empty()) || (lower == "gbraid" && !ids.gbraid.empty()) ||
         (lower == "wbraid" && !ids.wbraid.empty()) || (lower == "fbclid" && !ids.fbclid.empty()) ||
         (lower == "msclkid" && !ids.msclkid.empty());
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && ascii_iequals(text.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         ascii_iequals(text.substr(text.size() - suffix.size()), suffix);
}

bool matches(const MatchRule& rule, const Visit& visit) {
  const std::string_view value = rule.value;
  switch (rule.kind) {
    case RuleKind::landing_path_prefix:
      return !value.empty() && visit.landing.path.starts_with(value);
    case RuleKind::landing_query_contains:
      return !value.empty() && visit.landing.query.find(value) != std::string::npos;
    case RuleKind::utm_exact:
      return !value.empty() && ascii_iequals(utm_value(visit.query.utm, rule.utm_field), value);
    case RuleKind::utm_prefix:
      return !value.empty() && istarts_with(utm_value(visit.query.utm, rule.utm_field), value);
    case RuleKind::click_id_present:
      return has_click_id(visit.query.click_ids, value);
    case RuleKind::referrer_host:
      return !value.empty() && ascii_iequals(visit.referrer_host, value);
    case RuleKind::referrer_host_suffix:
      return value.size() > 1 && value.front() == '.' &&
             (iends_with(visit.referrer_host, value) ||
              ascii_iequals(visit.referrer_host, value.substr(1)));
  }
  return false;
}

MatchLevel level_of(RuleKind kind) {
  const bool referrer = kind == RuleKind::referrer_host || kind == RuleKind::referrer_host_suffix;
  return referrer ? MatchLevel::referrer : MatchLevel::visit;
}

// Larger is more specific: the value's length, then exact UTM values before prefixes.
std::tuple<std::size_t, bool> specificity(const MatchRule& rule) {
  return {rule.value.size(), rule.kind == RuleKind::utm_exact};
}

// Whether `candidate` beats `best` at the same level.
bool better(const PoolChoice& candidate, const PoolChoice& best) {
  const auto a = specificity(*candidate.rule);
  const auto b = specificity(*best.rule);
  return a != b ? a > b : candidate.pool_id < best.pool_id;
}

std::optional<PoolChoice> best_at(const std::vector<PoolRules>& pools, const Visit& visit,
                                  MatchLevel level) {
  std::optional<PoolChoice> best;
  for (const auto& pool : pools) {
    for (const auto& rule : pool.rules) {
      if (level_of(rule.kind) != level || !matches(rule, visit)) continue;
      const PoolChoice candidate{pool.pool_id, level, rule};
      if (!best || better(candidate, *best)) best = candidate;
    }
  }
  return best;
}

}  // namespace

std::optional<PoolChoice> choose_pool(const std::vector<PoolRules>& pools, const Visit& visit) {
  for (const auto level : {MatchLevel::visit, MatchLevel::referrer}) {
    if (auto choice = best_at(pools, visit, level)) return choice;
  }
  std::optional<PoolChoice> default_pool;
  for (const auto& pool : pools) {
    if (pool.is_default && (!default_pool || pool.pool_id < default_pool->pool_id)) {
      default_pool = PoolChoice{pool.pool_id, MatchLevel::default_pool, std::nullopt};
    }
  }
  return default_pool;
}

std::string_view rule_kind_name(RuleKind kind) { return name_in(kRuleKinds, kind); }
std::optional<RuleKind> rule_kind_named(std::string_view name) {
  return value_in(kRuleKinds, name);
}
std::string_view utm_field_name(UtmField field) { return name_in(kUtmFields, field); }
std::optional<UtmField> utm_field_named(std::string_view name) {
  return value_in(kUtmFields, name);
}

}  // namespace callsight::dni
