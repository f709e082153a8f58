// The /customers/callbacks resource (reference §2.5): calls the platform places later, first
// to the agent, then to the requester. Placing them is the switch's job (CallbackStore's
// due_callbacks); the API only schedules and lists them.
#include <algorithm>
#include <variant>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "core/callback.hpp"
#include "core/phone_number.hpp"
#include "core/time_format.hpp"
#include "store/callback_store.hpp"

namespace callsight::api {
namespace {

constexpr std::size_t kCustomDynamicMaxLength = 4000;
// Reference §2.5: GET lists the coming week unless told otherwise.
constexpr auto kDefaultWindow = std::chrono::days(7);

Json render(const Callback& c) {
  return {
      {"id", str(c.id)},
      {"customer_id", str(c.customer_id)},
      {"agent_nr", c.agent_number},
      {"requester_nr", c.requester_number},
      {"caller_id", c.caller_id},
      {"scheduled", format_utc(c.scheduled)},
      {"retries", str(c.retries)},
      {"retry_interval", str(c.retry_interval)},
      {"completed", str(c.completed ? 1 : 0)},
      {"cdr_id", str_or_null(c.cdr_id)},
      {"custom_dynamic", str_or_null(c.custom_dynamic)},
      {"call_recording", str(c.call_recording)},
      {"created", c.created},
  };
}

http::Response get_callbacks(Context& ctx) {
  Fields fields(ctx.params);
  const auto customer_id = fields.id("customer_id", Presence::required);
  const auto now = ctx.clock.now();
  const auto from = fields.utc_time("from_date");
  const auto to = fields.utc_time("to_date");
  const auto page = read_page(fields);
  CallbackFilter filter;
  filter.from = from.value_or(now);
  // A from_date beyond the default window moves the window along instead of emptying it.
  filter.to = to.value_or(std::max(now, filter.from) + kDefaultWindow);
  if (!fields.has_errors() && filter.to < filter.from) {
    fields.add_error("invalid", "to_date", "'to_date' must not be before 'from_date'");
  }
  fields.throw_if_errors();
  require_own_customer(ctx, *customer_id);
  filter.customer_id = *customer_id;
  const auto result = ctx.store.callbacks().list_callbacks(ctx.partner.id, filter, page);
  Json items = Json::array();
  for (const auto& c : result.items) items.push_back(render(c));
  return list("callbacks", std::move(items), result.total, page);
}

http::Response post_callback(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"customer_id", "agent_nr", "requester_nr", "scheduled", "retries",
                     "retry_interval", "caller_id", "custom_dynamic", "call_recording"});
  const auto customer_id = fields.id("customer_id", Presence::required);
  const auto agent = fields.e164_number("agent_nr", Presence::required);
  const auto requester = fields.e164_number("requester_nr", Presence::required);
  auto callback = new_callback(customer_id.value_or(0), agent.value_or(""), requester.value_or(""),
                               ctx.clock.now());
  if (auto v = fields.utc_time("scheduled")) callback.scheduled = *v;
  if (auto v = fields.integer("retries", 0, kCallbackMaxRetries)) {
    callback.retries = static_cast<int>(*v);
  }
  if (auto v =
          fields.integer("retry_interval", kCallbackMinRetryInterval, kCallbackMaxRetryInterval)) {
    callback.retry_interval = static_cast<int>(*v);
  }
  if (auto v = fields.e164_number("caller_id", Presence::optional)) callback.caller_id = *v;
  callback.custom_dynamic = fields.json_text("custom_dynamic", kCustomDynamicMaxLength);
  if (auto v = fields.choice("call_recording", {0, 1})) callback.call_recording = *v;
  fields.throw_if_errors();
  require_own_customer(ctx, callback.customer_id);
  return one("callbacks", render(ctx.store.callbacks().create_callback(ctx.partner.id, callback)));
}

}  // namespace

void register_callbacks(ApiRouter& router) {
  for (const auto* pattern : {"/customers/callbacks", "/customers/{customer_id}/callbacks"}) {
    router.add("GET", pattern, get_callbacks);
    router.add("POST", pattern, post_callback);
  }
}

}  // namespace callsight::api
