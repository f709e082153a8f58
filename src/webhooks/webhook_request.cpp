#include "webhooks/webhook_request.hpp"

#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "common/utf8.hpp"
#include "core/time_format.hpp"
#include "core/webhook_payload.hpp"

namespace callsight::webhooks {
namespace {

using Json = nlohmann::ordered_json;  // keeps the payload's keys in the order they were written

std::string value_text(const Json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return to_json_text(value);
}

// Payloads are written valid, but one an import or a direct edit broke still goes out, with
// U+FFFD for its bad bytes, rather than with empty data.
Json payload_object(const OutboxEvent& event) {
  Json payload = Json::parse(utf8::sanitize(event.payload), nullptr, /*allow_exceptions=*/false);
  return payload.is_object() ? payload : Json::object();
}

std::string standard_body(const Webhook& webhook, const OutboxEvent& event) {
  const Json payload = payload_object(event);
  if (webhook.format == WebhookFormat::json) {
    Json body = Json::object();
    body["event_id"] = std::to_string(event.id);
    body["type"] = event.type;
    body["sequence"] = std::to_string(event.sequence);
    body["created"] = format_utc(event.created);
    body["data"] = payload;
    return to_json_text(body);
  }
  std::string body;
  const auto add = [&body](std::string_view name, const std::string& value) {
    if (!body.empty()) body += '&';
    body += form_urlencode(name);
    body += '=';
    body += form_urlencode(value);
  };
  for (const auto& [name, value] : payload.items()) add(name, value_text(value));
  add("event_id", std::to_string(event.id));
  add("type", event.type);
  add("sequence", std::to_string(event.sequence));
  return body;
}

}  // namespace

WebhookRequest build_webhook_request(const Webhook& webhook, const OutboxEvent& event,
                                     TimePoint timestamp) {
  WebhookRequest request;
  request.body = webhook.template_text ? render_webhook_template(*webhook.template_text,
                                                                 event.payload, webhook.format)
                                       : standard_body(webhook, event);
  request.content_type = webhook.format == WebhookFormat::json
                             ? "application/json"
                             : "application/x-www-form-urlencoded";
  const std::string unix_seconds = std::to_string(timestamp.time_since_epoch().count());
  request.headers = {
      {"X-Callsight-Event-Id", std::to_string(event.id)},
      {"X-Callsight-Event-Type", event.type},
      {"X-Callsight-Sequence", std::to_string(event.sequence)},
      {"X-Callsight-Timestamp", unix_seconds},
      {"X-Callsight-Signature",
       "sha256=" + crypto::hmac_sha256_hex(webhook.secret, unix_seconds + "." + request.body)},
  };
  return request;
}

}  // namespace callsight::webhooks
