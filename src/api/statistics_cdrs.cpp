// /statistics/cdrs and /statistics/cdrs/out (reference §2.13, §2.14): the partner's call
// records, inbound calls to tracking numbers and the outbound calls callbacks placed.
#include <map>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "common/crypto.hpp"
#include "core/call_record.hpp"
#include "core/caller_area.hpp"
#include "core/time_format.hpp"
#include "store/call_record_store.hpp"
#include "store/campaign_store.hpp"
#include "store/customer_store.hpp"
#include "store/dni_store.hpp"
#include "store/source_store.hpp"

namespace callsight::api {
namespace {

// anum_md5 lets partners count repeat callers without seeing their numbers; the salt is
// the partner's own, so two partners' hashes of one caller cannot be joined.
std::string salted_md5_hex(const std::string& salt, const std::string& caller) {
  return crypto::md5_hex(salt + caller);
}

Json flag(bool value) { return value ? "1" : "0"; }

// What one page of records refers to, each looked up once per request.
class Related {
 public:
  explicit Related(Context& ctx) : ctx_(ctx) {}

  const std::optional<Customer>& customer(Id id) {
    auto it = customers_.find(id);
    if (it == customers_.end()) {
      it = customers_.emplace(id, ctx_.store.customers().find_customer(ctx_.partner.id, id)).first;
    }
    return it->second;
  }
  // A call's source is a static source or a pool.
  const std::optional<Source>& source(Id id) {
    auto it = sources_.find(id);
    if (it == sources_.end()) {
      auto source = ctx_.store.sources().find_source(ctx_.partner.id, id);
      if (!source) {
        if (auto pool = ctx_.store.dni().find_pool(ctx_.partner.id, id)) {
          source = std::move(pool->source);
        }
      }
      it = sources_.emplace(id, std::move(source)).first;
    }
    return it->second;
  }
  const std::optional<Campaign>& campaign(Id customer_id, Id id) {
    auto it = campaigns_.find(id);
    if (it == campaigns_.end()) {
      it = campaigns_
               .emplace(id, ctx_.store.campaigns().find_campaign(ctx_.partner.id, customer_id, id))
               .first;
    }
    return it->second;
  }

 private:
  Context& ctx_;
  std::map<Id, std::optional<Customer>> customers_;
  std::map<Id, std::optional<Source>> sources_;
  std::map<Id, std::optional<Campaign>> campaigns_;
};

// Built field by field: an initializer list of {key, value} pairs makes a JSON array of each
// pair first, which doubled the allocations of a listing (bench/README.md).
Json render(const CallRecord& call, const Partner& partner, Related& related) {
  const auto& customer = related.customer(call.customer_id);
  Json out = Json::object();
  out["cdr_id"] = str(call.id);
  out["start"] = format_utc(call.start);
  out["duration"] = str(call_duration_seconds(call));
  out["duration_adjusted"] = "0";
  out["anum"] = mask_caller(call.caller);
  out["anum_md5"] = salted_md5_hex(partner.anum_salt, call.caller);
  out["bnum"] = call.tracking_number;
  out["cnum"] = call.answering_number;
  out["customer_id"] = str(call.customer_id);
  out["custnr"] = customer ? Json(customer->custnr) : Json();
  out["source_id"] = str_or_null(call.source_id);
  out["answered"] = flag(call.answered_at.has_value());
  out["quarantined"] = flag(call.quarantined);
  out["anum_ndc_name"] = caller_area_name(call.caller);
  // Our extension: how the call ended and when each step happened.
  out["status"] = std::string(to_string(call_status(call)));
  out["sip_status"] = call.failure_sip_status ? str(*call.failure_sip_status) : Json();
  out["ringing_at"] = time_or_null(call.ringing_at);
  out["answered_at"] = time_or_null(call.answered_at);
  out["end"] = time_or_null(call.ended_at);
  out["hangup_by"] = call.hangup_by.empty() ? Json() : Json(call.hangup_by);
  out["callback_id"] = str_or_null(call.callback_id);
  return out;
}

// extended=1 (reference §2.13): the source, campaign and customer fields beside the call.
// pricing_model_id is the call's campaign's, as the campaign reads now; recording_id names the
// call's recording once it was picked up (GET /recordings); commission and orders are not
// tracked yet: null.
void add_extended(Json& out, const CallRecord& call, Related& related) {
  const auto* source = call.source_id ? &related.source(*call.source_id) : nullptr;
  const auto has_source = source && source->has_value();
  const auto* campaign =
      call.campaign_id ? &related.campaign(call.customer_id, *call.campaign_id) : nullptr;
  out["timestamp"] = has_source ? Json((*source)->created) : Json();
  out["expire"] = has_source ? time_or_null((*source)->lifecycle.expire) : Json();
  out["source_name"] = has_source ? Json((*source)->name) : Json();
  out["source_media"] = has_source ? Json((*source)->media) : Json();
  out["class"] = has_source ? str((*source)->source_class) : Json();
  out["publisher_id"] = has_source ? str_or_null((*source)->publisher_id) : Json();
  out["partner_publisher_id"] = Json();
  out["campaign_id"] = str_or_null(call.campaign_id);
  out["partner_campaign_id"] =
      campaign && *campaign ? str_or_null((*campaign)->partner_campaign_id) : Json();
  out["pricing_model_id"] = campaign && *campaign ? Json((*campaign)->pricing_model_id) : Json();
  out["commission"] = Json();
  out["cli_id"] = Json();
  out["order_id"] = Json();
  out["recording_id"] = str_or_null(call.recording_id);
  const auto& customer = related.customer(call.customer_id);
  for (int i = 0; i < kCustomFieldCount; ++i) {
    out["custom_" + std::to_string(i + 1)] =
        customer ? str_or_null(customer->custom[static_cast<std::size_t>(i)]) : Json();
  }
  // Our extension: which web visit made the call, or why none did.
  for (const auto& [name, value] : attribution_fields(call.attribution)) {
    out[std::string(name)] = value ? Json(*value) : Json();
  }
}

std::optional<bool> newest_first(Fields& fields) {
  const auto text = fields.text("newest_first", 5);
  if (!text || text->empty() || *text == "false" || *text == "0") return false;
  if (*text == "true" || *text == "1") return true;
  fields.add_error("invalid", "newest_first", "'newest_first' must be true or false");
  return std::nullopt;
}

CallRecordFilter read_filter(Context& ctx, Fields& fields, CallDirection direction) {
  CallRecordFilter filter;
  filter.direction = direction;
  filter.from = fields.utc_time("from_date");
  filter.to = fields.utc_time("to_date");
  filter.customer_id = fields.id("customer_id");
  filter.source_id = fields.id("source_id");
  filter.cdr_id = fields.id("cdr_id");
  const auto custnr = fields.text("custnr", kCustnrMaxLength);
  filter.newest_first = newest_first(fields).value_or(false);
  if (filter.from && filter.to && *filter.from > *filter.to) {
    fields.add_error("invalid", "to_date", "'to_date' must not be before 'from_date'");
  }
  fields.choice("extended", {0, 1});
  fields.throw_if_errors();
  if (filter.customer_id) require_own_customer(ctx, *filter.customer_id);
  if (custnr) {
    CustomerFilter by_custnr;
    by_custnr.custnr = *custnr;
    const auto found = ctx.store.customers().list_customers(ctx.partner.id, by_custnr, {0, 1});
    if (found.items.empty()) throw_not_found("custnr", "customer");
    if (filter.customer_id && *filter.customer_id != found.items.front().id) {
      throw http::HttpError{
          400, {{"invalid", "custnr", "'custnr' and 'customer_id' name different customers"}}, {}};
    }
    filter.customer_id = found.items.front().id;
  }
  return filter;
}

http::Response get_cdrs(Context& ctx, CallDirection direction) {
  Fields fields(ctx.params);
  const auto filter = read_filter(ctx, fields, direction);
  const auto page = read_page(fields);
  fields.throw_if_errors();
  const auto extended = ctx.params.get("extended").value_or("0") == "1";
  const auto result = ctx.store.calls().list_calls(ctx.partner.id, filter, page);
  Related related(ctx);
  Json items = Json::array();
  for (const auto& call : result.items) {
    auto out = render(call, ctx.partner, related);
    if (extended) add_extended(out, call, related);
    items.push_back(std::move(out));
  }
  return list("cdrs", std::move(items), result.total, page);
}

}  // namespace

void register_statistics_cdrs(ApiRouter& router) {
  const auto inbound = [](Context& ctx) { return get_cdrs(ctx, CallDirection::inbound); };
  const auto outbound = [](Context& ctx) { return get_cdrs(ctx, CallDirection::outbound); };
  router.add("GET", "/statistics/cdrs", inbound);
  router.add("GET", "/statistics/cdrs/{cdr_id}", inbound);
  router.add("GET", "/statistics/cdrs/out", outbound);
  router.add("GET", "/statistics/cdrs/out/{cdr_id}", outbound);
}

}  // namespace callsight::api
