// /statistics/cdrs and /statistics/cdrs/out (reference §2.13, §2.14): the partner's call
// records, inbound calls to tracking numbers and the outbound calls callbacks placed.
#include <algorithm>
#include <map>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/json_writer.hpp"
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

void render(JsonWriter& out, const CallRecord& call, const Partner& partner, Related& related) {
  const auto& customer = related.customer(call.customer_id);
  out.number("cdr_id", call.id);
  out.time("start", call.start);
  out.number("duration", call_duration_seconds(call));
  out.ascii("duration_adjusted", "0");
  out.text("anum", mask_caller(call.caller));
  // anum_md5 lets partners count repeat callers without seeing their numbers; the salt is
  // the partner's own, so two partners' hashes of one caller cannot be joined.
  out.hex("anum_md5", crypto::md5(partner.anum_salt, call.caller));
  out.text("bnum", call.tracking_number);
  out.text("cnum", call.answering_number);
  out.number("customer_id", call.customer_id);
  out.text_or_null("custnr",
                   customer ? std::optional<std::string_view>(customer->custnr) : std::nullopt);
  out.number_or_null("source_id", call.source_id);
  out.flag("answered", call.answered_at.has_value());
  out.flag("quarantined", call.quarantined);
  out.text("anum_ndc_name", caller_area_name(call.caller));
  // Our extension: how the call ended and when each step happened.
  out.ascii("status", to_string(call_status(call)));
  out.number_or_null("sip_status", call.failure_sip_status
                                       ? std::optional<std::int64_t>(*call.failure_sip_status)
                                       : std::nullopt);
  out.time_or_null("ringing_at", call.ringing_at);
  out.time_or_null("answered_at", call.answered_at);
  out.time_or_null("end", call.ended_at);
  out.text_or_null("hangup_by", call.hangup_by.empty()
                                    ? std::nullopt
                                    : std::optional<std::string_view>(call.hangup_by));
  out.number_or_null("callback_id", call.callback_id);
}

// extended=1 (reference §2.13): the source, campaign and customer fields beside the call.
// pricing_model_id is the call's campaign's, as the campaign reads now; recording_id names the
// call's recording once it was picked up (GET /recordings); commission and orders are not
// tracked yet: null.
void add_extended(JsonWriter& out, const CallRecord& call, Related& related) {
  const auto* source = call.source_id ? &related.source(*call.source_id) : nullptr;
  const auto has_source = source && source->has_value();
  const auto* campaign =
      call.campaign_id ? &related.campaign(call.customer_id, *call.campaign_id) : nullptr;
  const auto has_campaign = campaign && campaign->has_value();
  if (has_source) {
    const auto& s = **source;
    out.text("timestamp", s.created);
    out.time_or_null("expire", s.lifecycle.expire);
    out.text("source_name", s.name);
    out.text("source_media", s.media);
    out.number("class", s.source_class);
    out.number_or_null("publisher_id", s.publisher_id);
  } else {
    for (const char* name :
         {"timestamp", "expire", "source_name", "source_media", "class", "publisher_id"}) {
      out.null(name);
    }
  }
  out.null("partner_publisher_id");
  out.number_or_null("campaign_id", call.campaign_id);
  if (has_campaign) {
    out.text_or_null("partner_campaign_id", (*campaign)->partner_campaign_id);
    out.text("pricing_model_id", (*campaign)->pricing_model_id);
  } else {
    out.null("partner_campaign_id");
    out.null("pricing_model_id");
  }
  out.null("commission");
  out.null("cli_id");
  out.null("order_id");
  out.text_or_null("recording_id", call.recording_id);
  const auto& customer = related.customer(call.customer_id);
  for (int i = 0; i < kCustomFieldCount; ++i) {
    const auto name = "custom_" + std::to_string(i + 1);
    if (customer) {
      out.text_or_null(name, customer->custom[static_cast<std::size_t>(i)]);
    } else {
      out.null(name);
    }
  }
  // Our extension: which web visit made the call, or why none did.
  for (const auto& [name, value] : attribution_fields(call.attribution)) {
    out.text_or_null(name, value);
  }
}

std::optional<bool> newest_first(Fields& fields) {
  const auto text = fields.text("newest_first", 5);
  if (!text || text->empty() || *text == "false" || *text == "0") return false;
  if (*text == "true" || *text == "1") return true;
  fields.add_error("invalid", "newest_first", "'newest_first' must be true or false");
  return std::nullopt;
}

// `status`: one status or several separated by commas (our extension; "busy,no_answer" lists
// the missed calls a dashboard follows up).
std::vector<CallStatus> statuses(Fields& fields) {
  // Every status name once, with its comma: a longer list names one twice or an unknown one.
  constexpr std::size_t kLongestList = 80;
  const auto text = fields.text("status", kLongestList);
  std::vector<CallStatus> listed;
  if (!text || text->empty()) return listed;
  std::string_view rest = *text;
  while (true) {
    const auto comma = rest.find(',');
    const auto status = parse_call_status(rest.substr(0, comma));
    if (!status) {
      fields.add_error("invalid", "status",
                       "'status' must be in_progress, answered, no_answer, busy, failed, "
                       "rejected, voicemail or unknown, or several separated by commas");
      return {};
    }
    if (std::ranges::find(listed, *status) == listed.end()) listed.push_back(*status);
    if (comma == std::string_view::npos) return listed;
    rest.remove_prefix(comma + 1);
  }
}

CallRecordFilter read_filter(Context& ctx, Fields& fields, CallDirection direction) {
  CallRecordFilter filter;
  filter.direction = direction;
  filter.from = fields.utc_time("from_date");
  filter.to = fields.utc_time("to_date");
  filter.customer_id = fields.id("customer_id");
  filter.source_id = fields.id("source_id");
  filter.cdr_id = fields.id("cdr_id");
  filter.statuses = statuses(fields);
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
  auto filter = read_filter(ctx, fields, direction);
  const auto page = read_page(fields);
  fields.throw_if_errors();
  const auto extended = ctx.params.get("extended").value_or("0") == "1";
  filter.with_attribution = extended;  // only add_extended shows it
  const auto result = ctx.store.calls().list_calls(ctx.partner.id, filter, page);
  Related related(ctx);
  return render_objects<CallRecord>("cdrs", result.items, ListTotals{result.total, page},
                                    extended ? 1500 : 640,
                                    [&](JsonWriter& out, const CallRecord& call) {
                                      out.begin();
                                      render(out, call, ctx.partner, related);
                                      if (extended) add_extended(out, call, related);
                                      out.end();
                                    });
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
