// The /pools resource (issue 15): pools of tracking numbers for dynamic number insertion.
// A pool is a source of kind dynamic: it takes a source's name, medium and routing settings
// (read and rendered by source_fields.hpp, as /sources does) plus the settings of
// DniPoolSettings and its numbers. Documented in docs/api.md ("/pools"); the rules the
// settings feed are in docs/dynamic-numbers.md.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "api/source_fields.hpp"
#include "common/utf8.hpp"
#include "core/phone_number.hpp"
#include "core/source_lifecycle.hpp"
#include "store/dni_store.hpp"

namespace callsight::api {
namespace {

// Bounds of the pool settings, in seconds: a lease shorter than a minute would end between
// two heartbeats; a day is longer than any visit the script keeps a page open for.
constexpr std::int64_t kMinLeaseSeconds = 60;
constexpr std::int64_t kMaxStageSeconds = 24 * 3600;
// Numbers taken from the inventory by one request, and the default of a create.
constexpr std::int64_t kMaxNumbersPerRequest = 100;
constexpr int kDefaultPoolSize = 4;
// Lists: entries, and the characters of the whole parameter.
constexpr std::size_t kMaxListEntries = 20;
constexpr std::size_t kMaxListLength = 2000;
constexpr std::size_t kMaxRules = 50;
constexpr std::size_t kMaxRulesLength = 20000;
constexpr std::size_t kMaxRuleValueLength = 256;  // a visit's parameter values are cut there
constexpr std::size_t kMaxHostLength = 253;

const std::initializer_list<std::string_view> kPoolSettingFields = {
    "is_default",         "lease",           "grace", "cooldown", "fallback_number",
    "numbers_to_replace", "allowed_origins", "rules"};

// The parameters a request takes beside kSourceSettingFields.
std::vector<std::string> pool_fields_and(std::initializer_list<std::string_view> more) {
  std::vector<std::string> names(kPoolSettingFields.begin(), kPoolSettingFields.end());
  names.insert(names.end(), more.begin(), more.end());
  return names;
}

bool gives_any(const Context& ctx, std::initializer_list<std::string_view> names) {
  for (const auto name : names) {
    if (ctx.params.has(name)) return true;
  }
  return false;
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// "a, b,c" -> {"a", "b", "c"}; an empty value is the empty list. An empty entry ("a,,b") is
// an error: it is a typo, not a wish.
std::optional<std::vector<std::string>> read_list(Fields& fields, std::string_view name) {
  const auto text = fields.text(name, kMaxListLength);
  if (!text) return std::nullopt;
  std::vector<std::string> items;
  if (text->empty()) return items;
  std::string_view rest = *text;
  for (;;) {
    const auto comma = rest.find(',');
    const auto item = trimmed(rest.substr(0, comma));
    if (item.empty()) {
      fields.add_error("invalid", std::string(name),
                       "'" + std::string(name) + "' has an empty entry");
      return std::nullopt;
    }
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (items.size() > kMaxListEntries) {
    fields.add_error("invalid", std::string(name),
                     "'" + std::string(name) + "' has more than " +
                         std::to_string(kMaxListEntries) + " entries");
    return std::nullopt;
  }
  return items;
}

std::optional<std::vector<std::string>> read_numbers_to_replace(Fields& fields,
                                                                const Context& ctx) {
  auto items = read_list(fields, "numbers_to_replace");
  if (!items) return std::nullopt;
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto number = normalize_phone_number((*items)[i], ctx.partner.country);
    if (auto* error = std::get_if<PhoneNumberError>(&number)) {
      fields.add_error(
          "invalid", "numbers_to_replace",
          "'numbers_to_replace' entry " + std::to_string(i + 1) + ": " + error->message);
      return std::nullopt;
    }
    (*items)[i] = std::get<std::string>(std::move(number));
  }
  return items;
}

bool is_host_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  for (const char c : label) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_host(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostLength) return false;
  for (;;) {
    const auto dot = host.find('.');
    if (!is_host_label(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

bool is_port(std::string_view port) {
  if (port.empty() || port.size() > 5 || port.front() == '0') return false;
  int value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value <= 65535;
}

bool is_loopback_host(std::string_view host) { return host == "localhost" || host == "127.0.0.1"; }

// An origin as browsers send it: "https://host" or "https://host:port", lower case, no path.
// Plain http only for the loopback hosts browsers treat as secure (a developer's machine).
bool is_origin(std::string_view origin) {
  std::string_view scheme = origin.starts_with("https://") ? "https://" : "http://";
  if (!origin.starts_with(scheme)) return false;
  auto authority = origin.substr(scheme.size());
  const auto colon = authority.find(':');
  const auto host = authority.substr(0, colon);
  if (colon != std::string_view::npos && !is_port(authority.substr(colon + 1))) return false;
  if (scheme == "http://") return is_loopback_host(host);
  return is_host(host);
}

std::optional<std::vector<std::string>> read_allowed_origins(Fields& fields) {
  auto items = read_list(fields, "allowed_origins");
  if (!items) return std::nullopt;
  for (std::size_t i = 0; i < items->size(); ++i) {
    if (!is_origin((*items)[i])) {
      fields.add_error("invalid", "allowed_origins",
                       "'allowed_origins' entry " + std::to_string(i + 1) +
                           " is not an origin 'https://host[:port]' in lower case");
      return std::nullopt;
    }
  }
  return items;
}

bool is_utm_kind(dni::RuleKind kind) {
  return kind == dni::RuleKind::utm_exact || kind == dni::RuleKind::utm_prefix;
}

// One rule {"kind": ..., "field": ... (UTM kinds only), "value": ...}; the reason it is not
// one otherwise, without the value.
std::variant<dni::MatchRule, std::string> read_rule(const nlohmann::json& item) {
  if (!item.is_object()) return "is not an object";
  for (const auto& entry : item.items()) {
    const auto& key = entry.key();
    if (key != "kind" && key != "field" && key != "value") return "has an unknown key";
    if (!entry.value().is_string()) return "has a value that is not a string";
  }
  if (!item.contains("kind") || !item.contains("value")) return "needs 'kind' and 'value'";
  const auto kind = dni::rule_kind_named(item["kind"].get<std::string>());
  if (!kind) return "has an unknown 'kind'";
  dni::MatchRule rule{.kind = *kind, .value = item["value"].get<std::string>()};
  if (rule.value.empty()) return "has an empty 'value'";
  if (utf8::code_points(rule.value) > kMaxRuleValueLength) {
    return "has a 'value' longer than " + std::to_string(kMaxRuleValueLength) + " characters";
  }
  if (is_utm_kind(rule.kind) != item.contains("field")) {
    return "takes 'field' with utm_exact and utm_prefix only, and there it is required";
  }
  if (is_utm_kind(rule.kind)) {
    const auto field = dni::utm_field_named(item["field"].get<std::string>());
    if (!field) return "has an unknown 'field'";
    rule.utm_field = *field;
  }
  return rule;
}

std::optional<std::vector<dni::MatchRule>> read_rules(Fields& fields) {
  const auto text = fields.text("rules", kMaxRulesLength);
  if (!text) return std::nullopt;
  std::vector<dni::MatchRule> rules;
  if (text->empty()) return rules;
  const auto list = nlohmann::json::parse(*text, nullptr, false);
  if (!list.is_array() || list.size() > kMaxRules) {
    fields.add_error(
        "invalid", "rules",
        "'rules' must be a JSON array of at most " + std::to_string(kMaxRules) + " rules");
    return std::nullopt;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto rule = read_rule(list[i]);
    if (auto* reason = std::get_if<std::string>(&rule)) {
      fields.add_error("invalid", "rules", "'rules' rule " + std::to_string(i + 1) + " " + *reason);
      return std::nullopt;
    }
    rules.push_back(std::get<dni::MatchRule>(std::move(rule)));
  }
  return rules;
}

void apply_timing(Fields& fields, dni::PoolTiming& timing) {
  if (auto v = fields.integer("lease", kMinLeaseSeconds, kMaxStageSeconds)) {
    timing.lease = std::chrono::seconds(*v);
  }
  if (auto v = fields.integer("grace", 0, kMaxStageSeconds)) {
    timing.grace = std::chrono::seconds(*v);
  }
  if (auto v = fields.integer("cooldown", 0, kMaxStageSeconds)) {
    timing.cooldown = std::chrono::seconds(*v);
  }
}

// Applies the pool settings the request gives; an empty fallback_number means none.
void apply_pool_settings(Fields& fields, const Context& ctx, DniPoolSettings& settings) {
  if (auto v = fields.choice("is_default", {0, 1})) settings.is_default = *v == 1;
  apply_timing(fields, settings.timing);
  if (const auto fallback = ctx.params.get("fallback_number"); fallback && fallback->empty()) {
    settings.fallback_number.clear();
  } else if (auto v = fields.phone_number("fallback_number", ctx.partner.country)) {
    settings.fallback_number = *v;
  }
  if (auto v = read_numbers_to_replace(fields, ctx)) settings.numbers_to_replace = std::move(*v);
  if (auto v = read_allowed_origins(fields)) settings.allowed_origins = std::move(*v);
  if (auto v = read_rules(fields)) settings.match_rules = std::move(*v);
}

Json render_rules(const std::vector<dni::MatchRule>& rules) {
  Json list = Json::array();
  for (const auto& rule : rules) {
    Json item{{"kind", dni::rule_kind_name(rule.kind)}};
    if (is_utm_kind(rule.kind)) item["field"] = dni::utm_field_name(rule.utm_field);
    item["value"] = rule.value;
    list.push_back(std::move(item));
  }
  return list;
}

// A number removed from the pool is quarantined until its own date; the others share the
// pool's status, so a deleted pool's numbers show its quarantine.
Json render_number(const Context& ctx, const DniPool& pool, const DniPoolNumber& number) {
  auto status = source_status(ctx, pool.source);
  std::optional<TimePoint> until = number.quarantined_until;
  if (number.removed_at) {
    status = SourceStatus::quarantined;
  } else if (const auto start = quarantine_start(pool.source.lifecycle);
             start && status == SourceStatus::quarantined) {
    until = *start + std::chrono::days(ctx.partner.quarantine_days);
  }
  return {{"number", number.number},
          {"status", std::string(to_string(status))},
          {"added", format_utc(number.added_at)},
          {"quarantined_until", time_or_null(until)}};
}

Json render_pool(const Context& ctx, const DniPool& pool) {
  Json json = Json::object();
  json["pool_id"] = str(pool.source.id);
  Json source = render_source(ctx, pool.source);
  for (auto& field : source.items()) {
    // A pool has many numbers: they are under "numbers", not in the source's "destnr".
    if (field.key() != "destnr") json[field.key()] = std::move(field.value());
  }
  const auto& s = pool.settings;
  json["is_default"] = str(s.is_default ? 1 : 0);
  json["lease"] = str(s.timing.lease.count());
  json["grace"] = str(s.timing.grace.count());
  json["cooldown"] = str(s.timing.cooldown.count());
  json["fallback_number"] = s.fallback_number.empty() ? Json() : Json(s.fallback_number);
  json["numbers_to_replace"] = s.numbers_to_replace;
  json["allowed_origins"] = s.allowed_origins;
  json["rules"] = render_rules(s.match_rules);
  json["numbers"] = Json::array();
  for (const auto& number : pool.numbers) {
    json["numbers"].push_back(render_number(ctx, pool, number));
  }
  return json;
}

DniPool require_pool(const Context& ctx, Id pool_id) {
  auto pool = ctx.store.dni().find_pool(ctx.partner.id, pool_id);
  if (!pool) throw_not_found("pool_id", "pool");
  return std::move(*pool);
}

http::Response one_pool(const Context& ctx, Id pool_id) {
  return one("pools", render_pool(ctx, require_pool(ctx, pool_id)));
}

// The store names no parameter a partner sent when the inventory runs short: here it is
// "count" (with "ndc", if given, narrowing which numbers count).
template <class Take>
auto taking_numbers(Take&& take) {
  try {
    return take();
  } catch (const ConflictError& conflict) {
    if (conflict.code() != "no_free_number") throw;
    throw http::HttpError{
        409, {{"no_free_number", "count", "fewer free numbers match than 'count' asks for"}}, {}};
  }
}

http::Response post_pool(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only(kSourceSettingFields, pool_fields_and({"customer_id", "ndc", "count"}));
  Source source;
  source.partner_id = ctx.partner.id;
  source.lifecycle.activation = ctx.clock.now();
  const auto customer_id = fields.id("customer_id", Presence::required);
  apply_source_fields(fields, ctx, Presence::required, source);
  DniPoolSettings settings;
  apply_pool_settings(fields, ctx, settings);
  const auto numbers = read_number_request(fields, ctx);
  const auto count = fields.integer("count", 1, kMaxNumbersPerRequest).value_or(kDefaultPoolSize);
  fields.throw_if_errors();
  require_own_customer(ctx, *customer_id);
  source.customer_id = *customer_id;
  const auto pool = taking_numbers([&] {
    return ctx.store.dni().create_pool(
        source, settings, numbers, static_cast<int>(count),
        [&](ChangeLookups& lookups) { check_source_references(ctx, lookups, source); });
  });
  return one("pools", render_pool(ctx, pool));
}

http::Response get_pools(Context& ctx) {
  Fields fields(ctx.params);
  const auto pool_id = fields.id("pool_id");
  const auto customer_id =
      fields.id("customer_id", ctx.params.has("pool_id") ? Presence::optional : Presence::required);
  const auto page = read_page(fields);
  fields.throw_if_errors();
  if (pool_id) {
    const auto pool = require_pool(ctx, *pool_id);
    if (customer_id && pool.source.customer_id != *customer_id) throw_not_found("pool_id", "pool");
    return list("pools", Json::array({render_pool(ctx, pool)}), 1, page);
  }
  require_own_customer(ctx, *customer_id);
  const auto pools = ctx.store.dni().list_pools(ctx.partner.id, *customer_id);
  Json items = Json::array();
  const auto first = static_cast<std::size_t>(page.page) * page.pagesize;
  for (std::size_t i = first; i < pools.size() && i < first + page.pagesize; ++i) {
    items.push_back(render_pool(ctx, pools[i]));
  }
  return list("pools", std::move(items), static_cast<std::int64_t>(pools.size()), page);
}

[[noreturn]] void throw_archived() {
  throw http::HttpError{
      409, {{"archived", "pool_id", "the pool is archived and can no longer change"}}, {}};
}

// The routing settings and the pool settings change in one store transaction: an archived
// pool or a campaign_id of another customer refuses the whole PUT, and nothing is half-written.
void change_pool(Context& ctx, Id pool_id) {
  const auto changed = ctx.store.dni().change_pool(
      ctx.partner.id, pool_id, [&](DniPool& pool, ChangeLookups& lookups) {
        if (!may_change(pool.source.lifecycle, ctx.clock.now(), ctx.partner.quarantine_days)
                 .allowed) {
          throw_archived();
        }
        Fields fields(ctx.params);
        apply_source_fields(fields, ctx, Presence::optional, pool.source);
        apply_pool_settings(fields, ctx, pool.settings);
        fields.throw_if_errors();
        check_source_references(ctx, lookups, pool.source);
        return gives_any(ctx, kSourceSettingFields) || gives_any(ctx, kPoolSettingFields);
      });
  if (!changed) throw_not_found("pool_id", "pool");
}

http::Response put_pool(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only(kSourceSettingFields, pool_fields_and({"pool_id"}));
  const auto pool_id = fields.id("pool_id", Presence::required);
  // Every field is checked first, so bad input is a 400 naming each bad field whatever the pool;
  // change_pool applies them again to the pool it reads in its transaction.
  Source checked_source;
  apply_source_fields(fields, ctx, Presence::optional, checked_source);
  DniPoolSettings checked_settings;
  apply_pool_settings(fields, ctx, checked_settings);
  fields.throw_if_errors();
  require_pool(ctx, *pool_id);  // a static source's id is no pool, not even for its routing
  change_pool(ctx, *pool_id);
  return one_pool(ctx, *pool_id);
}

// As a source's DELETE: the pool is quarantined with its numbers (no hand-out, calls refused
// as a quarantined source's) and archived after the partner's quarantine days, when its
// numbers go back.
http::Response delete_pool(Context& ctx) {
  const Id pool_id = required_id(ctx.params, "pool_id");
  const auto changed =
      ctx.store.dni().change_pool(ctx.partner.id, pool_id, [&](DniPool& pool, ChangeLookups&) {
        const auto deletion =
            quarantine(pool.source.lifecycle, ctx.clock.now(), ctx.partner.quarantine_days);
        if (!deletion.allowed) throw_archived();
        return deletion.from != SourceStatus::quarantined;
      });
  if (!changed) throw_not_found("pool_id", "pool");
  return one_pool(ctx, pool_id);
}

http::Response post_pool_numbers(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"pool_id", "count", "ndc"});
  const auto pool_id = fields.id("pool_id", Presence::required);
  const auto count = fields.integer("count", 1, kMaxNumbersPerRequest, Presence::required);
  const auto numbers = read_number_request(fields, ctx);
  fields.throw_if_errors();
  try {
    taking_numbers([&] {
      return ctx.store.dni().add_pool_numbers(ctx.partner.id, *pool_id, numbers,
                                              static_cast<int>(*count));
    });
  } catch (const NotFoundError&) {
    throw_not_found("pool_id", "pool");
  }
  return one_pool(ctx, *pool_id);
}

http::Response delete_pool_number(Context& ctx) {
  Fields fields(ctx.params);
  const auto pool_id = fields.id("pool_id", Presence::required);
  const auto number = fields.phone_number("number", ctx.partner.country, Presence::required);
  fields.throw_if_errors();
  require_pool(ctx, *pool_id);
  try {
    ctx.store.dni().remove_pool_number(ctx.partner.id, *pool_id, *number);
  } catch (const NotFoundError&) {
    throw_not_found("number", "number of this pool");
  }
  return one_pool(ctx, *pool_id);
}

}  // namespace

void register_pools(ApiRouter& router) {
  router.add("POST", "/pools", post_pool);
  router.add("GET", "/pools", get_pools);
  router.add("PUT", "/pools", put_pool);
  router.add("DELETE", "/pools", delete_pool);
  router.add("POST", "/pools/numbers", post_pool_numbers);
  router.add("DELETE", "/pools/numbers", delete_pool_number);
}

}  // namespace callsight::api
