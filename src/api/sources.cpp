// The /sources resource (reference §2.10-2.12): tracking numbers allocated to customers.
// Lifecycle rules are written down in docs/api.md; the status and the transitions are in
// core/source_lifecycle.hpp, and each change is applied in one store transaction.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "core/alt_number_rules.hpp"
#include "core/local_time.hpp"
#include "core/phone_number.hpp"
#include "core/source_lifecycle.hpp"
#include "core/time_format.hpp"
#include "store/blacklist_store.hpp"
#include "store/campaign_store.hpp"
#include "store/customer_store.hpp"
#include "store/greeting_store.hpp"
#include "store/source_store.hpp"

namespace callsight::api {
namespace {

SourceStatus status_of(const Context& ctx, const Source& s) {
  return derive_status(s.lifecycle, ctx.clock.now(), ctx.partner.quarantine_days);
}

Json render(const Context& ctx, const Source& s) {
  return {
      {"source_id", str(s.id)},
      {"name", s.name},
      {"email", str_or_null(s.email)},
      {"smsnumber", str_or_null(s.smsnumber)},
      {"media", s.media},
      {"customer_id", str(s.customer_id)},
      {"phonenr", s.answering_number},
      {"destnr", s.tracking_number},
      {"timestamp", format_utc(s.lifecycle.activation)},
      {"expire", time_or_null(s.lifecycle.expire)},
      {"created", s.created},
      {"modified", s.modified},
      {"class", str(s.source_class)},
      {"status", std::string(to_string(status_of(ctx, s)))},
      {"vm_greeting_id", str_or_null(s.vm_greeting_id)},
      {"campaign_id", str_or_null(s.campaign_id)},
      {"publisher_id", str_or_null(s.publisher_id)},
      {"notify_on_missed_call", str(s.notify_on_missed_call)},
      {"notify_on_new_voicemail", str(s.notify_on_new_voicemail)},
      {"vm_divert_all", str(s.vm_divert_all)},
      {"vm_divert_busy", str(s.vm_divert_busy)},
      {"vm_divert_noanswer", str(s.vm_divert_noanswer)},
      {"alt_numbers", render_alt_number_rules(s.alt_numbers)},
  };
}

http::Response one_source(const Context& ctx, const Source& s) {
  return one("sources", render(ctx, s));
}

// A given but empty value clears an optional field (e.g. "expire=" removes the expiry).
bool is_cleared(const Context& ctx, std::string_view name) {
  const auto value = ctx.params.get(name);
  return value && value->empty();
}

template <class T>
void apply_optional_id(Fields& fields, const Context& ctx, std::string_view name,
                       std::optional<T>& target) {
  if (is_cleared(ctx, name)) {
    target.reset();
  } else if (auto v = fields.id(name)) {
    target = *v;
  }
}

void apply_alt_numbers(Fields& fields, const Context& ctx, Source& source) {
  const auto text = ctx.params.get("alt_numbers");
  if (!text) return;
  auto parsed = parse_alt_number_rules(text->empty() ? "[]" : *text, ctx.partner.country);
  if (auto* error = std::get_if<RuleError>(&parsed)) {
    fields.add_error("invalid", "alt_numbers", error->message);
    return;
  }
  source.alt_numbers = std::get<std::vector<AltNumberRule>>(std::move(parsed));
}

// Expiry takes effect at the end of the expire day in the partner's time zone (reference
// §2.10: "expiry takes effect at the end of the expiry day").
void apply_expire(Fields& fields, const Context& ctx, Source& source) {
  if (is_cleared(ctx, "expire")) {
    source.lifecycle.expire.reset();
    source.lifecycle.expires_at.reset();
    return;
  }
  const auto expire = fields.utc_time("expire");
  if (!expire) return;
  const auto ends = end_of_local_day(*expire, ctx.partner.timezone);
  if (ends <= ctx.clock.now()) {
    fields.add_error("invalid", "expire", "'expire' must not be a day that has already ended");
    return;
  }
  source.lifecycle.expire = *expire;
  source.lifecycle.expires_at = ends;
}

// The fields POST and PUT share; presence says whether POST's mandatory ones must be there.
void apply_fields(Fields& fields, const Context& ctx, Presence presence, Source& source) {
  const auto& country = ctx.partner.country;
  if (auto v = fields.non_empty_text("name", kNameMaxLength, presence)) source.name = *v;
  if (auto v = fields.phone_number("phonenr", country, presence)) source.answering_number = *v;
  if (auto v = fields.text("media", kNameMaxLength)) source.media = *v;
  if (is_cleared(ctx, "email")) {
    source.email.reset();
  } else if (auto v = fields.email("email", 150)) {
    source.email = *v;
  }
  if (is_cleared(ctx, "smsnumber")) {
    source.smsnumber.reset();
  } else if (auto v = fields.phone_number("smsnumber", country)) {
    source.smsnumber = *v;
  }
  if (auto v = fields.integer("class", 0, 1000)) source.source_class = static_cast<int>(*v);
  apply_optional_id(fields, ctx, "campaign_id", source.campaign_id);
  apply_optional_id(fields, ctx, "publisher_id", source.publisher_id);
  apply_optional_id(fields, ctx, "vm_greeting_id", source.vm_greeting_id);
  for (auto [name, flag] : {std::pair{"notify_on_missed_call", &source.notify_on_missed_call},
                            std::pair{"notify_on_new_voicemail", &source.notify_on_new_voicemail},
                            std::pair{"vm_divert_all", &source.vm_divert_all},
                            std::pair{"vm_divert_busy", &source.vm_divert_busy},
                            std::pair{"vm_divert_noanswer", &source.vm_divert_noanswer}}) {
    if (auto v = fields.choice(name, {0, 1})) *flag = *v;
  }
  if (auto v = fields.utc_time("timestamp")) source.lifecycle.activation = *v;
  apply_expire(fields, ctx, source);
  if (source.lifecycle.expires_at && *source.lifecycle.expires_at <= source.lifecycle.activation) {
    fields.add_error("invalid", "expire", "'expire' must come after the activation 'timestamp'");
  }
  apply_alt_numbers(fields, ctx, source);
}

const std::initializer_list<std::string_view> kWritableSourceFields = {"name",
                                                                       "phonenr",
                                                                       "media",
                                                                       "email",
                                                                       "smsnumber",
                                                                       "class",
                                                                       "campaign_id",
                                                                       "publisher_id",
                                                                       "vm_greeting_id",
                                                                       "notify_on_missed_call",
                                                                       "notify_on_new_voicemail",
                                                                       "vm_divert_all",
                                                                       "vm_divert_busy",
                                                                       "vm_divert_noanswer",
                                                                       "timestamp",
                                                                       "expire",
                                                                       "alt_numbers"};

// A campaign_id or vm_greeting_id given in this request must name the source's customer's
// campaign, or a greeting of that customer or of the system.
void check_references(const Context& ctx, ChangeLookups& lookups, const Source& source) {
  Fields fields(ctx.params);
  const auto given = [&](std::string_view name) {
    const auto value = ctx.params.get(name);
    return value && !value->empty();
  };
  if (given("campaign_id") && source.campaign_id &&
      !lookups.has_campaign(ctx.partner.id, source.customer_id, *source.campaign_id)) {
    fields.add_error("invalid", "campaign_id", "'campaign_id' is not a campaign of this customer");
  }
  if (given("vm_greeting_id") && source.vm_greeting_id &&
      !lookups.has_greeting(ctx.partner.id, source.customer_id, *source.vm_greeting_id)) {
    fields.add_error("invalid", "vm_greeting_id",
                     "'vm_greeting_id' is not a greeting of this customer or the system");
  }
  fields.throw_if_errors();
}

NumberRequest read_number_request(Fields& fields, const Context& ctx) {
  NumberRequest request;
  if (auto v = fields.phone_number("destnr", ctx.partner.country)) request.tracking_number = *v;
  if (const auto ndc = ctx.params.get("ndc")) {
    request.prefix = e164_prefix_for_ndc(*ndc, ctx.partner.country);
    if (!request.prefix) fields.add_error("invalid", "ndc", "'ndc' must be an area code (digits)");
  }
  return request;
}

http::Response post_source(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only(kWritableSourceFields, {"customer_id", "reserve_number", "destnr", "ndc"});
  const auto now = ctx.clock.now();
  Source source;
  source.partner_id = ctx.partner.id;
  source.lifecycle.activation = now;
  const auto customer_id = fields.id("customer_id", Presence::required);
  apply_fields(fields, ctx, Presence::required, source);
  const auto number = read_number_request(fields, ctx);
  if (fields.choice("reserve_number", {0, 1}).value_or(0) == 1) {
    source.lifecycle.reserved_until = now + ctx.settings.reservation_time;
  }
  fields.throw_if_errors();
  if (!ctx.store.customers().find_customer(ctx.partner.id, *customer_id)) {
    throw_not_found("customer_id", "customer");
  }
  source.customer_id = *customer_id;
  return one_source(ctx,
                    ctx.store.sources().create_source(source, number, [&](ChangeLookups& lookups) {
                      check_references(ctx, lookups, source);
                    }));
}

[[noreturn]] void throw_conflict(std::string code, std::string message) {
  throw http::HttpError{409, {{std::move(code), "source_id", std::move(message)}}, {}};
}

// Applies `change` to the source the request names, in the store's one transaction.
http::Response change_source(Context& ctx, const Change<Source>& change) {
  const Id id = required_id(ctx.params, "source_id");
  const auto changed = ctx.store.sources().change_source(ctx.partner.id, id, change);
  if (!changed) throw_not_found("source_id", "source");
  return one_source(ctx, *changed);
}

void require_changeable(const Context& ctx, const Source& source) {
  if (!may_change(source.lifecycle, ctx.clock.now(), ctx.partner.quarantine_days).allowed) {
    throw_conflict("archived", "the source is archived and can no longer change");
  }
}

// PUT status=active is how a reserved source is activated (reference §2.10).
void apply_status(Fields& fields, const Context& ctx, Source& source) {
  const auto status = ctx.params.get("status");
  if (!status) return;
  if (*status != "active") {
    fields.add_error("invalid", "status", "'status' can only be set to 'active'");
    return;
  }
  const auto activation = activate(source.lifecycle, ctx.clock.now(), ctx.partner.quarantine_days);
  if (!activation.allowed) {
    fields.add_error("invalid", "status",
                     "a " + std::string(to_string(activation.from)) +
                         " source cannot be activated here; use /sources/reactivate");
  }
}

http::Response put_source(Context& ctx) {
  return change_source(ctx, [&](Source& source, ChangeLookups& lookups) {
    require_changeable(ctx, source);
    Fields fields(ctx.params);
    fields.allow_only(kWritableSourceFields, {"source_id", "status", "destnr"});
    if (const auto destnr = fields.phone_number("destnr", ctx.partner.country);
        destnr && *destnr != source.tracking_number) {
      fields.add_error("invalid", "destnr", "the tracking number of a source cannot change");
    }
    apply_fields(fields, ctx, Presence::optional, source);
    apply_status(fields, ctx, source);
    fields.throw_if_errors();
    check_references(ctx, lookups, source);
    return true;
  });
}

// DELETE quarantines: the number stays held and calls to it are refused until the
// quarantine ends; then the source is archived and the number returns to the inventory.
http::Response delete_source(Context& ctx) {
  return change_source(ctx, [&](Source& source, ChangeLookups&) {
    const auto deletion =
        quarantine(source.lifecycle, ctx.clock.now(), ctx.partner.quarantine_days);
    if (!deletion.allowed) {
      throw_conflict("archived", "the source is archived and can no longer change");
    }
    return deletion.from != SourceStatus::quarantined;
  });
}

http::Response reactivate_source(Context& ctx) {
  return change_source(ctx, [&](Source& source, ChangeLookups&) {
    Fields fields(ctx.params);
    fields.allow_only({"source_id"});
    fields.throw_if_errors();
    if (!reactivate(source.lifecycle, ctx.clock.now(), ctx.partner.quarantine_days).allowed) {
      throw_conflict("not_quarantined", "only a quarantined source can be reactivated");
    }
    return true;
  });
}

http::Response extend_source(Context& ctx) {
  return change_source(ctx, [&](Source& source, ChangeLookups&) {
    Fields fields(ctx.params);
    fields.allow_only({"source_id", "expire"});
    const auto expire = fields.utc_time("expire", Presence::required);
    fields.throw_if_errors();
    const auto ends = end_of_local_day(*expire, ctx.partner.timezone);
    const auto outcome =
        extend(source.lifecycle, *expire, ends, ctx.clock.now(), ctx.partner.quarantine_days);
    if (outcome.result == Extension::not_extendable) {
      throw_conflict("not_extendable",
                     "a " + std::string(to_string(outcome.from)) + " source cannot be extended");
    }
    if (outcome.result == Extension::not_later) {
      fields.add_error("invalid", "expire",
                       "'expire' must move the expiry forward, into the future");
      fields.throw_if_errors();
    }
    return true;
  });
}

SourceFilter read_filter(Fields& fields) {
  SourceFilter filter;
  filter.source_id = fields.id("source_id");
  filter.customer_id = fields.id("customer_id");
  filter.custnr = fields.text("custnr", 45);
  filter.campaign_id = fields.id("campaign_id");
  if (auto v = fields.integer("class", 0, 1000)) filter.source_class = static_cast<int>(*v);
  return filter;
}

http::Response get_sources(Context& ctx) {
  Fields fields(ctx.params);
  auto filter = read_filter(fields);
  if (auto v = fields.phone_number("destnr", ctx.partner.country)) filter.tracking_number = *v;
  if (const auto status = ctx.params.get("status")) {
    filter.status = parse_source_status(*status);
    if (!filter.status) {
      fields.add_error("invalid", "status",
                       "'status' must be reserved, upcoming, active, quarantined or archived");
    }
  }
  const auto page = read_page(fields);
  fields.throw_if_errors();
  if (filter.source_id && !ctx.store.sources().find_source(ctx.partner.id, *filter.source_id)) {
    throw_not_found("source_id", "source");
  }
  const auto result = ctx.store.sources().list_sources(ctx.partner.id, filter, page);
  Json items = Json::array();
  for (const auto& s : result.items) items.push_back(render(ctx, s));
  return list("sources", std::move(items), result.total, page);
}

// Whether any number an active source forwards to (its answering number or an alt_numbers
// rule's) is on its customer's blacklist: such calls could never be answered (issue 3).
// Each customer's list is read once per request.
class BlacklistCheck {
 public:
  explicit BlacklistCheck(Context& ctx) : ctx_(ctx) {}

  bool forwards_to_blacklisted(const Source& s) {
    const auto& blacklisted = list_of(s.customer_id);
    if (blacklisted.contains(s.answering_number)) return true;
    return std::any_of(s.alt_numbers.begin(), s.alt_numbers.end(), [&](const auto& rule) {
      return rule.answering_number != kVoicemail && blacklisted.contains(rule.answering_number);
    });
  }

 private:
  const std::unordered_set<std::string>& list_of(Id customer_id) {
    auto it = lists_.find(customer_id);
    if (it == lists_.end()) {
      const auto numbers = ctx_.store.blacklists().blacklist(ctx_.partner.id, customer_id);
      it = lists_.try_emplace(customer_id, numbers.begin(), numbers.end()).first;
    }
    return it->second;
  }

  Context& ctx_;
  std::unordered_map<Id, std::unordered_set<std::string>> lists_;
};

// Reference §2.11: empty when all is well; "OOS" for a source that cannot take calls now:
// not active, or active but forwarding to a blacklisted number.
http::Response get_statuses(Context& ctx) {
  Fields fields(ctx.params);
  SourceFilter filter;
  filter.source_id = fields.id("source_id");
  filter.customer_id = fields.id("customer_id");
  filter.custnr = fields.text("custnr", 45);
  fields.throw_if_errors();
  Json items = Json::array();
  BlacklistCheck blacklist(ctx);
  PageRequest page{0, 1000};
  for (;; ++page.page) {
    const auto result = ctx.store.sources().list_sources(ctx.partner.id, filter, page);
    for (const auto& s : result.items) {
      const auto status = status_of(ctx, s);
      if (status == SourceStatus::archived) continue;
      if (status == SourceStatus::active && !blacklist.forwards_to_blacklisted(s)) continue;
      items.push_back({{"source_id", str(s.id)},
                       {"service", "OOS"},
                       {"status", std::string(to_string(status))}});
    }
    if (static_cast<std::int64_t>(page.page + 1) * page.pagesize >= result.total) break;
  }
  Json body{{"statuses", std::move(items)}};
  return http::Response{200, "application/json", {}, to_json_text(body)};
}

}  // namespace

void register_sources(ApiRouter& router) {
  router.add("POST", "/sources", post_source);
  router.add("GET", "/sources/statuses", get_statuses);
  router.add("POST", "/sources/reactivate", reactivate_source);
  router.add("POST", "/sources/extend", extend_source);
  for (const auto* pattern : {"/sources", "/sources/{source_id}"}) {
    router.add("GET", pattern, get_sources);
    router.add("PUT", pattern, put_source);
    router.add("DELETE", pattern, delete_source);
  }
}

}  // namespace callsight::api
