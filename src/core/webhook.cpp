#include "core/webhook.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"
#include "core/retry_backoff.hpp"
#include "core/webhook_payload.hpp"

namespace callsight {
namespace {

constexpr std::array<std::string_view, 7> kEventTypes = {
    kCallStarted,        kCallAnswered,  kCallCompleted,      kCallUpdated,
    kCallRecordingReady, kSourceCreated, kSourceStatusChanged};

constexpr std::chrono::seconds kMaxRetryDelay = std::chrono::hours(1);

bool is_macro_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The macro's text, or nullopt when the payload has no such value (the macro then stays).
std::optional<std::string> macro_value(const nlohmann::json& payload, const std::string& name) {
  const auto it = payload.find(name);
  if (it == payload.end()) return std::nullopt;
  if (it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  return to_json_text(*it);
}

}  // namespace

bool is_event_type(std::string_view type) {
  return std::find(kEventTypes.begin(), kEventTypes.end(), type) != kEventTypes.end();
}

std::string_view to_string(WebhookFormat format) {
  return format == WebhookFormat::form ? "form" : "json";
}

std::optional<WebhookFormat> parse_webhook_format(std::string_view text) {
  if (text == "json") return WebhookFormat::json;
  if (text == "form") return WebhookFormat::form;
  return std::nullopt;
}

std::string_view to_string(DeliveryState state) {
  switch (state) {
    case DeliveryState::pending:
      return "pending";
    case DeliveryState::delivered:
      return "delivered";
    case DeliveryState::dead:
      return "dead";
  }
  return "pending";
}

std::optional<TimePoint> next_webhook_attempt(TimePoint event_created, int attempts, TimePoint now,
                                              std::chrono::seconds first_delay) {
  return next_retry({first_delay, kMaxRetryDelay, kWebhookRetryWindow}, event_created, attempts,
                    now);
}

std::string render_webhook_template(std::string_view template_text, const std::string& payload_json,
                                    WebhookFormat format) {
  // A payload or template stored by an older version may hold bytes that are not UTF-8: the
  // parser would refuse the payload, and the receiver gets U+FFFD rather than raw bytes.
  const auto payload =
      nlohmann::json::parse(utf8::sanitize(payload_json), nullptr, /*allow_exceptions=*/false);
  std::string out;
  std::size_t at = 0;
  while (at < template_text.size()) {
    const auto open = template_text.find('{', at);
    if (open == std::string_view::npos) break;
    auto end = open + 1;
    while (end < template_text.size() && is_macro_char(template_text[end])) ++end;
    out.append(template_text.substr(at, open - at));
    std::optional<std::string> value;
    if (end < template_text.size() && template_text[end] == '}' && end > open + 1 &&
        payload.is_object()) {
      value = macro_value(payload, std::string(template_text.substr(open + 1, end - open - 1)));
    }
    if (value) {
      out += format == WebhookFormat::form ? form_urlencode(*value) : *value;
      at = end + 1;
    } else {
      out += '{';
      at = open + 1;
    }
  }
  out.append(template_text.substr(std::min(at, template_text.size())));
  return utf8::sanitize(out);
}

}  // namespace callsight
