// The /webhooks resource (our extension, docs/webhooks.md): a partner's subscriptions to call
// and source events, the deliveries made for them, and the event stream to replay.
#include <algorithm>
#include <limits>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "common/random.hpp"
#include "common/utf8.hpp"
#include "core/time_format.hpp"
#include "core/webhook.hpp"
#include "core/webhook_target.hpp"
#include "store/webhook_store.hpp"

namespace callsight::api {
namespace {

constexpr std::size_t kUrlMaxLength = 2000;
constexpr std::size_t kEventsMaxLength = 1000;
constexpr std::size_t kTemplateMaxLength = 10000;
constexpr std::size_t kSecretMinLength = 16;
constexpr std::size_t kSecretMaxLength = 200;
constexpr std::size_t kGeneratedSecretBytes = 32;
constexpr int kEventsDefaultLimit = 100;
constexpr int kEventsMaxLimit = 1000;

// The secret is write-only: only the answer to the POST that created it shows it.
enum class ShowSecret { no, yes };

Json render(const Webhook& w, ShowSecret show_secret = ShowSecret::no) {
  Json events = Json::array();
  for (const auto& type : w.event_types) events.push_back(type);
  return {
      {"webhook_id", str(w.id)},
      {"customer_id", str_or_null(w.customer_id)},
      {"url", w.url},
      {"events", std::move(events)},
      {"format", std::string(to_string(w.format))},
      {"template", str_or_null(w.template_text)},
      {"secret", show_secret == ShowSecret::yes ? Json(w.secret) : Json()},
      {"failing", w.failing ? "1" : "0"},
      {"created", w.created},
      {"modified", w.modified},
  };
}

Json render(const OutboxEvent& e) {
  // The payload was written by the store as a JSON object; shown as one, not as text. An
  // older row may hold bytes that are not UTF-8, which the parser would refuse.
  Json data = Json::parse(utf8::sanitize(e.payload), nullptr, false);
  if (data.is_discarded()) data = Json();
  return {
      {"event_id", str(e.id)},
      {"type", e.type},
      {"customer_id", str_or_null(e.customer_id)},
      {"cdr_id", str_or_null(e.cdr_id)},
      {"source_id", str_or_null(e.source_id)},
      {"sequence", str(e.sequence)},
      {"created", format_utc(e.created)},
      {"data", std::move(data)},
  };
}

Json render(const Delivery& d) {
  const bool pending = d.state == DeliveryState::pending;
  return {
      {"delivery_id", str(d.id)},
      {"event_id", str(d.event_id)},
      {"webhook_id", str(d.webhook_id)},
      {"state", std::string(to_string(d.state))},
      {"attempts", str(d.attempts)},
      {"next_attempt", pending ? Json(format_utc(d.next_attempt)) : Json()},
      {"last_status", d.last_status ? str(*d.last_status) : Json()},
      {"last_latency_ms", d.last_latency_ms ? str(*d.last_latency_ms) : Json()},
      {"last_error", d.last_error.empty() ? Json() : Json(d.last_error)},
      {"delivered_at", time_or_null(d.delivered_at)},
      {"created", format_utc(d.created)},
  };
}

// --- url ---------------------------------------------------------------------------------

void read_url(Fields& fields, const Context& ctx, Presence presence, Webhook& webhook) {
  const auto url = fields.non_empty_text("url", kUrlMaxLength, presence);
  if (!url) return;
  const auto target = parse_webhook_url(*url);
  if (!target || is_ambiguous_numeric_host(target->host)) {
    fields.add_error("invalid", "url", "'url' must be an http:// or https:// URL with a host");
    return;
  }
  // Host names are resolved, and checked again, when the dispatcher sends.
  if (!ctx.settings.allow_private_webhooks &&
      (is_local_host_name(target->host) || is_private_address(target->host))) {
    fields.add_error("private_address", "url",
                     "'url' names a loopback, private or link-local address; the operator has "
                     "not allowed those (--webhooks-allow-private)");
    return;
  }
  webhook.url = *url;
}

// --- other fields ------------------------------------------------------------------------

// A JSON array of event type names, e.g. ["call.completed","call.answered"]; repeats are
// dropped, the order kept.
void read_events(Fields& fields, Presence presence, Webhook& webhook) {
  const auto text = fields.non_empty_text("events", kEventsMaxLength, presence);
  if (!text) return;
  const auto parsed = nlohmann::json::parse(*text, nullptr, false);
  const auto fail = [&fields](const std::string& why) {
    fields.add_error("invalid", "events", "'events' " + why);
  };
  if (!parsed.is_array() || parsed.empty()) {
    return fail("must be a non-empty JSON array of event types, e.g. [\"call.completed\"]");
  }
  std::vector<std::string> types;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const auto& item = parsed[i];
    if (!item.is_string() || !is_event_type(item.get<std::string>())) {
      return fail("entry " + std::to_string(i + 1) + " is not an event type");
    }
    auto type = item.get<std::string>();
    if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
  }
  webhook.event_types = std::move(types);
}

void read_format(Fields& fields, Webhook& webhook) {
  const auto text = fields.text("format", 10);
  if (!text) return;
  const auto format = parse_webhook_format(*text);
  if (!format) {
    fields.add_error("invalid", "format", "'format' must be json or form");
    return;
  }
  webhook.format = *format;
}

// Empty clears the template: the event is then sent in its standard shape.
void read_template(Fields& fields, Webhook& webhook) {
  const auto text = fields.text("template", kTemplateMaxLength);
  if (!text) return;
  if (text->empty()) {
    webhook.template_text.reset();
  } else {
    webhook.template_text = *text;
  }
}

void read_secret(Fields& fields, Webhook& webhook) {
  const auto text = fields.text("secret", kSecretMaxLength);
  if (!text) return;
  if (utf8::code_points(*text) < kSecretMinLength) {
    fields.add_error("invalid", "secret",
                     "'secret' must be " + std::to_string(kSecretMinLength) + " to " +
                         std::to_string(kSecretMaxLength) + " characters");
    return;
  }
  webhook.secret = *text;
}

// Empty: the subscription covers all the partner's customers.
void read_customer(Fields& fields, const Context& ctx, Webhook& webhook) {
  const auto value = ctx.params.get("customer_id");
  if (!value) return;
  if (value->empty()) {
    webhook.customer_id.reset();
  } else if (const auto id = fields.id("customer_id")) {
    webhook.customer_id = *id;
  }
}

void apply_fields(Fields& fields, const Context& ctx, Presence presence, Webhook& webhook) {
  read_customer(fields, ctx, webhook);
  read_url(fields, ctx, presence, webhook);
  read_events(fields, presence, webhook);
  read_format(fields, webhook);
  read_template(fields, webhook);
  read_secret(fields, webhook);
}

const std::initializer_list<std::string_view> kWritableWebhookFields = {
    "customer_id", "url", "events", "format", "template", "secret"};

Webhook existing_webhook(const Context& ctx) {
  const Id id = required_id(ctx.params, "webhook_id");
  auto webhook = ctx.store.webhooks().find_webhook(ctx.partner.id, id);
  if (!webhook) throw_not_found("webhook_id", "webhook");
  return *webhook;
}

// --- handlers ----------------------------------------------------------------------------

http::Response get_webhooks(Context& ctx) {
  Fields fields(ctx.params);
  const auto webhook_id = fields.id("webhook_id");
  const auto page = read_page(fields);
  fields.throw_if_errors();
  Json items = Json::array();
  if (webhook_id) {
    items.push_back(render(existing_webhook(ctx)));
    return list("webhooks", std::move(items), 1, page);
  }
  const auto result = ctx.store.webhooks().list_webhooks(ctx.partner.id, page);
  for (const auto& w : result.items) items.push_back(render(w));
  return list("webhooks", std::move(items), result.total, page);
}

http::Response post_webhook(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only(kWritableWebhookFields, {"webhook_id"});
  if (ctx.params.has("webhook_id")) {
    fields.add_error("invalid", "webhook_id",
                     "'webhook_id' is assigned by the platform; use PUT to change a webhook");
  }
  Webhook webhook;
  webhook.partner_id = ctx.partner.id;
  apply_fields(fields, ctx, Presence::required, webhook);
  fields.throw_if_errors();
  if (webhook.customer_id) require_own_customer(ctx, *webhook.customer_id);
  if (webhook.secret.empty()) webhook.secret = random_hex(kGeneratedSecretBytes);
  return one("webhooks", render(ctx.store.webhooks().create_webhook(webhook), ShowSecret::yes));
}

http::Response put_webhook(Context& ctx) {
  const Id id = required_id(ctx.params, "webhook_id");
  const auto changed = ctx.store.webhooks().change_webhook(
      ctx.partner.id, id, [&](Webhook& webhook, ChangeLookups& lookups) {
        Fields fields(ctx.params);
        fields.allow_only(kWritableWebhookFields, {"webhook_id"});
        apply_fields(fields, ctx, Presence::optional, webhook);
        fields.throw_if_errors();
        if (webhook.customer_id && !lookups.has_customer(ctx.partner.id, *webhook.customer_id)) {
          throw_not_found("customer_id", "customer");
        }
        return true;
      });
  if (!changed) throw_not_found("webhook_id", "webhook");
  return one("webhooks", render(*changed));
}

http::Response delete_webhook(Context& ctx) {
  const auto webhook = existing_webhook(ctx);
  return one("webhooks", render(ctx.store.webhooks().delete_webhook(ctx.partner.id, webhook.id)));
}

// Sends a test event to this subscription only; its delivery shows in /webhooks/deliveries.
http::Response post_test(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"webhook_id"});
  fields.throw_if_errors();
  const auto webhook = existing_webhook(ctx);
  return one("events", render(ctx.store.webhooks().add_test_event(ctx.partner.id, webhook.id)));
}

http::Response get_deliveries(Context& ctx) {
  Fields fields(ctx.params);
  DeliveryFilter filter;
  filter.webhook_id = fields.id("webhook_id");
  filter.event_id = fields.id("event_id");
  if (const auto state = fields.text("state", 20)) {
    for (const auto s : {DeliveryState::pending, DeliveryState::delivered, DeliveryState::dead}) {
      if (*state == to_string(s)) filter.state = s;
    }
    if (!filter.state) {
      fields.add_error("invalid", "state", "'state' must be pending, delivered or dead");
    }
  }
  const auto page = read_page(fields);
  fields.throw_if_errors();
  if (filter.webhook_id) existing_webhook(ctx);
  const auto result = ctx.store.webhooks().list_deliveries(ctx.partner.id, filter, page);
  Json items = Json::array();
  for (const auto& d : result.items) items.push_back(render(d));
  return list("deliveries", std::move(items), result.total, page);
}

// The partner's events that committed after the given one: a receiver that lost events
// passes the last event_id it processed and reads on until the answer is empty.
http::Response get_events(Context& ctx) {
  Fields fields(ctx.params);
  const auto after = fields.integer("after", 0, std::numeric_limits<Id>::max()).value_or(0);
  // Capped like pagesize rather than refused, so a client asking for more just gets less.
  const auto limit = std::min<std::int64_t>(
      fields.integer("limit", 1, std::numeric_limits<int>::max()).value_or(kEventsDefaultLimit),
      kEventsMaxLimit);
  fields.throw_if_errors();
  const auto events =
      ctx.store.webhooks().events_after(ctx.partner.id, after, static_cast<int>(limit));
  if (!events) {
    fields.add_error("invalid", "after", "'after' must be 0 or the event_id of one of your events");
    fields.throw_if_errors();
  }
  Json items = Json::array();
  for (const auto& e : *events) items.push_back(render(e));
  Json body;
  body["events"] = std::move(items);
  return http::Response{200, "application/json", {}, to_json_text(body)};
}

}  // namespace

void register_webhooks(ApiRouter& router) {
  router.add("POST", "/webhooks", post_webhook);
  for (const auto* pattern : {"/webhooks", "/webhooks/{webhook_id}"}) {
    router.add("GET", pattern, get_webhooks);
    router.add("PUT", pattern, put_webhook);
    router.add("DELETE", pattern, delete_webhook);
  }
  for (const auto* pattern : {"/webhooks/test", "/webhooks/{webhook_id}/test"}) {
    router.add("POST", pattern, post_test);
  }
  router.add("GET", "/webhooks/deliveries", get_deliveries);
  router.add("GET", "/events", get_events);
}

}  // namespace callsight::api
