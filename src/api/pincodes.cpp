// The /customers/pincodes resource (reference §2.6, Kaisa era): PINs a caller enters to be
// connected to a callback. The reference lost its output tables; the fields we answer with
// are written down in docs/api.md.
#include <variant>
#include <vector>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "core/call_record.hpp"
#include "core/phone_number.hpp"
#include "core/pincode.hpp"
#include "core/time_format.hpp"
#include "store/call_record_store.hpp"
#include "store/customer_store.hpp"
#include "store/pincode_store.hpp"

namespace callsight::api {
namespace {

constexpr std::size_t kLeadIdMaxLength = 36;
constexpr std::size_t kLeadDataMaxLength = 4000;
constexpr int kMaxCallsShown = 1000;  // a page, as everywhere else

Json render(const Pincode& p) {
  return {
      {"pincode_id", str(p.id)},
      {"customer_id", str(p.customer_id)},
      {"pincode", p.pincode},
      {"phone_number", str_or_null(p.phone_number)},
      {"cdr_id", str_or_null(p.cdr_id)},
      {"custom_lead_id", str_or_null(p.custom_lead_id)},
      {"custom_lead_data", str_or_null(p.custom_lead_data)},
      {"created", p.created},
      {"expires", format_utc(p.expires)},
      {"outcome", str_or_null(p.outcome)},
  };
}

// Reference §2.6 names three ways to say whom the PIN is for: customer_id + phone_number,
// custnr + phone_number, or cdr_id (the call's customer and caller). Mixing them is refused
// rather than guessed at, except that a cdr_id may come with its customer_id (as in the
// /customers/7/pincodes spelling).
struct Owner {
  std::optional<Id> customer_id;
  std::optional<std::string> custnr;
  std::optional<Id> cdr_id;
  std::optional<std::string> phone_number;
};

Owner read_owner(Fields& fields, const Context& ctx) {
  Owner owner;
  owner.customer_id = fields.id("customer_id");
  owner.custnr = fields.non_empty_text("custnr", kCustnrMaxLength);
  owner.cdr_id = fields.id("cdr_id");
  const bool has_customer = ctx.params.has("customer_id");
  const bool has_custnr = ctx.params.has("custnr");
  if (ctx.params.has("cdr_id")) {
    if (has_custnr) {
      fields.add_error("invalid", "custnr", "give 'cdr_id' or 'custnr', not both");
    }
    if (ctx.params.has("phone_number")) {
      fields.add_error("invalid", "phone_number",
                       "'phone_number' comes from the call when 'cdr_id' is given");
    }
    return owner;
  }
  if (has_customer && has_custnr) {
    fields.add_error("invalid", "custnr", "give 'customer_id' or 'custnr', not both");
  } else if (!has_customer && !has_custnr) {
    fields.add_error("missing", "customer_id",
                     "give 'customer_id' or 'custnr' with 'phone_number', or 'cdr_id'");
  }
  owner.phone_number = fields.e164_number("phone_number", Presence::required);
  return owner;
}

Id customer_of(Context& ctx, const Owner& owner) {
  if (owner.customer_id) {
    require_own_customer(ctx, *owner.customer_id);
  } else if (owner.custnr) {
    CustomerFilter filter;
    filter.custnr = owner.custnr;
    const auto found = ctx.store.customers().list_customers(ctx.partner.id, filter, {0, 1});
    if (found.items.empty()) throw_not_found("custnr", "customer");
    return found.items.front().id;
  }
  if (owner.cdr_id) {
    // One of the partner's calls; given with a customer_id, one of that customer's.
    const auto call = ctx.store.calls().find_call(ctx.partner.id, *owner.cdr_id);
    if (!call || (owner.customer_id && call->customer_id != *owner.customer_id)) {
      throw_not_found("cdr_id", "call record");
    }
    return call->customer_id;
  }
  return *owner.customer_id;
}

// Whom the PIN was given to: its phone number, or the caller of its call when that caller
// is a phone number (an anonymous or display-name caller identifies nobody).
std::optional<std::string> caller_of(Context& ctx, const Pincode& pincode) {
  if (pincode.phone_number) return pincode.phone_number;
  if (!pincode.cdr_id) return std::nullopt;
  const auto call = ctx.store.calls().find_call(ctx.partner.id, *pincode.cdr_id);
  if (!call || !is_e164(call->caller)) return std::nullopt;
  return call->caller;
}

// Callsight has no PIN prompt, so "the calls made with a PIN" are what it can know of them:
// the customer's inbound calls from the PIN's caller while the PIN was live (docs/api.md),
// oldest first. A variant B PIN's own call came before it, even within its first second.
std::vector<CallRecord> calls_made_with(Context& ctx, const Pincode& pincode, int limit,
                                        bool newest_first) {
  const auto caller = caller_of(ctx, pincode);
  if (!caller) return {};
  CallRecordFilter filter;
  filter.customer_id = pincode.customer_id;
  filter.caller = caller;
  filter.from = parse_utc(pincode.created);
  filter.to = pincode.expires;
  filter.newest_first = newest_first;
  const int own_call = pincode.cdr_id ? 1 : 0;
  auto calls = ctx.store.calls().list_calls(ctx.partner.id, filter, {0, limit + own_call}).items;
  std::erase_if(calls, [&](const CallRecord& call) { return call.id == pincode.cdr_id; });
  if (calls.size() > static_cast<std::size_t>(limit)) calls.resize(static_cast<std::size_t>(limit));
  return calls;
}

// How the latest call made with the PIN ended (its CDR status); null before the first.
std::optional<std::string> outcome_of(Context& ctx, const Pincode& pincode) {
  const auto latest = calls_made_with(ctx, pincode, 1, /*newest_first=*/true);
  if (latest.empty()) return std::nullopt;
  return std::string(to_string(call_status(latest.front())));
}

// A call as the PIN's `calls` list shows it; /statistics/cdrs has the whole record.
Json render_call(const CallRecord& call) {
  return {
      {"cdr_id", str(call.id)},
      {"start", format_utc(call.start)},
      {"answered", call.answered_at ? "1" : "0"},
      {"duration", str(call_duration_seconds(call))},
      {"status", std::string(to_string(call_status(call)))},
  };
}

http::Response post_pincode(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"customer_id", "custnr", "cdr_id", "phone_number", "pincode_length",
                     "pincode_ttl", "custom_lead_id", "custom_lead_data"});
  const auto length =
      fields.integer("pincode_length", kPincodeMinLength, kPincodeMaxLength, Presence::required);
  const auto ttl =
      fields.integer("pincode_ttl", kPincodeMinTtlDays, kPincodeMaxTtlDays, Presence::required);
  const auto owner = read_owner(fields, ctx);
  Pincode pincode;
  pincode.phone_number = owner.phone_number;
  pincode.cdr_id = owner.cdr_id;
  if (auto v = fields.text("custom_lead_id", kLeadIdMaxLength); v && !v->empty()) {
    pincode.custom_lead_id = *v;
  }
  pincode.custom_lead_data = fields.json_text("custom_lead_data", kLeadDataMaxLength);
  fields.throw_if_errors();
  pincode.customer_id = customer_of(ctx, owner);
  pincode.expires = pincode_expiry(ctx.clock.now(), static_cast<int>(*ttl));
  const int digits = static_cast<int>(*length);
  const auto stored = ctx.store.pincodes().create_pincode(
      ctx.partner.id, pincode, [digits] { return random_pincode(digits); });
  return one("pincodes", render(stored));
}

http::Response get_pincodes(Context& ctx) {
  Fields fields(ctx.params);
  PincodeFilter filter;
  filter.pincode_id = fields.id("pincode_id");
  filter.customer_id = fields.id("customer_id");
  filter.cdr_id = fields.id("cdr_id");
  const auto page = read_page(fields);
  fields.throw_if_errors();
  if (filter.customer_id) require_own_customer(ctx, *filter.customer_id);
  // Our extension: the PINs issued for one of the partner's calls.
  if (filter.cdr_id && !ctx.store.calls().find_call(ctx.partner.id, *filter.cdr_id)) {
    throw_not_found("cdr_id", "call record");
  }
  const auto result = ctx.store.pincodes().list_pincodes(ctx.partner.id, filter, page);
  if (filter.pincode_id && result.items.empty()) throw_not_found("pincode_id", "pincode");
  Json items = Json::array();
  for (auto p : result.items) {
    p.outcome = outcome_of(ctx, p);
    items.push_back(render(p));
  }
  auto response = list("pincodes", std::move(items), result.total, page);
  if (filter.pincode_id) {
    // Reference §2.6: one PIN comes with the calls made with it, oldest first.
    Json calls = Json::array();
    for (const auto& call :
         calls_made_with(ctx, result.items.front(), kMaxCallsShown, /*newest_first=*/false)) {
      calls.push_back(render_call(call));
    }
    auto body = Json::parse(response.body);
    body["calls"] = std::move(calls);
    response.body = to_json_text(body);
  }
  return response;
}

}  // namespace

void register_pincodes(ApiRouter& router) {
  for (const auto* pattern : {"/customers/pincodes", "/customers/{customer_id}/pincodes"}) {
    router.add("GET", pattern, get_pincodes);
    router.add("POST", pattern, post_pincode);
  }
  router.add("GET", "/customers/{customer_id}/pincodes/{pincode_id}", get_pincodes);
}

}  // namespace callsight::api
