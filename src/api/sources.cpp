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
#include "api/source_fields.hpp"
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

http::Response one_source(const Context& ctx, const Source& s) {
  return render_sources(ctx, {&s, 1}, std::nullopt);
}

http::Response post_source(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only(kSourceSettingFields,
                    {"timestamp", "expire", "customer_id", "reserve_number", "destnr", "ndc"});
  const auto now = ctx.clock.now();
  Source source;
  source.partner_id = ctx.partner.id;
  source.lifecycle.activation = now;
  const auto customer_id = fields.id("customer_id", Presence::required);
  apply_source_fields(fields, ctx, Presence::required, source);
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
                      check_source_references(ctx, lookups, source);
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
    fields.allow_only(kSourceSettingFields,
                      {"timestamp", "expire", "source_id", "status", "destnr"});
    if (const auto destnr = fields.phone_number("destnr", ctx.partner.country);
        destnr && *destnr != source.tracking_number) {
      fields.add_error("invalid", "destnr", "the tracking number of a source cannot change");
    }
    apply_source_fields(fields, ctx, Presence::optional, source);
    apply_status(fields, ctx, source);
    fields.throw_if_errors();
    check_source_references(ctx, lookups, source);
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
  const bool by_id_alone = filter.source_id && !filter.customer_id && !filter.custnr &&
                           !filter.campaign_id && !filter.source_class && !filter.tracking_number &&
                           !filter.status;
  if (by_id_alone && page.page == 0) {
    // The most common read: the list of one that the source's own read answers, in one
    // statement (list_sources would give the same page and a total of 1).
    const auto source = ctx.store.sources().find_source(ctx.partner.id, *filter.source_id);
    if (!source) throw_not_found("source_id", "source");
    return render_sources(ctx, {&*source, 1}, ListTotals{1, page});
  }
  const auto result = ctx.store.sources().list_sources(ctx.partner.id, filter, page);
  // A source the other filters leave out is an empty list, not a 404: only an empty answer
  // costs the second read.
  if (filter.source_id && result.items.empty() &&
      !ctx.store.sources().find_source(ctx.partner.id, *filter.source_id)) {
    throw_not_found("source_id", "source");
  }
  return render_sources(ctx, result.items, ListTotals{result.total, page});
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
      const auto status = source_status(ctx, s);
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
