#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/types.hpp"

namespace callsight {

// The event types a subscription may ask for (docs/webhooks.md).
inline constexpr std::string_view kCallStarted = "call.started";
inline constexpr std::string_view kCallAnswered = "call.answered";
inline constexpr std::string_view kCallCompleted = "call.completed";
inline constexpr std::string_view kCallUpdated = "call.updated";
inline constexpr std::string_view kCallRecordingReady = "call.recording_ready";
inline constexpr std::string_view kSourceCreated = "source.created";
inline constexpr std::string_view kSourceStatusChanged = "source.status_changed";
bool is_event_type(std::string_view type);

enum class WebhookFormat { json, form };
std::string_view to_string(WebhookFormat format);
std::optional<WebhookFormat> parse_webhook_format(std::string_view text);

// A partner's subscription: events of the partner (customer_id absent) or of one customer
// are POSTed to url.
struct Webhook {
  Id id = 0;
  Id partner_id = 0;
  std::optional<Id> customer_id;
  std::string url;                       // http:// or https://
  std::vector<std::string> event_types;  // each is_event_type
  WebhookFormat format = WebhookFormat::json;
  std::optional<std::string> template_text;  // body with {macro}s; absent: the event as is
  std::string secret;                        // HMAC-SHA256 key for the signature header
  bool failing = false;  // flagged after deliveries kept failing; still delivered to
  std::string created;
  std::string modified;
};

// One event in the durable outbox, written in the same transaction as the change that
// caused it. sequence counts the events of one call (1, 2, ...), 0 for other subjects.
struct OutboxEvent {
  Id id = 0;  // ascending: the replay order of GET /events?after=
  Id partner_id = 0;
  std::optional<Id> customer_id;
  std::string type;
  std::optional<Id> cdr_id;
  std::optional<Id> source_id;
  int sequence = 0;
  std::string payload;  // JSON object text: the macro values (cdr_id, anum, bnum, ...)
  TimePoint created;
};

enum class DeliveryState { pending, delivered, dead };
std::string_view to_string(DeliveryState state);

// One event on its way to one subscription.
struct Delivery {
  Id id = 0;
  Id event_id = 0;
  Id webhook_id = 0;
  Id partner_id = 0;
  DeliveryState state = DeliveryState::pending;
  int attempts = 0;
  TimePoint next_attempt;
  std::optional<int> last_status;  // HTTP status of the last attempt; absent: no answer
  std::optional<int> last_latency_ms;
  std::string last_error;  // e.g. "timeout", "connection refused"
  std::optional<TimePoint> delivered_at;
  TimePoint created;
};

// Retries back off exponentially from first_delay (10 s unless the operator says otherwise),
// doubling, capped at one hour, for up to 7 days after the event; then the delivery is dead
// (kept and visible).
inline constexpr std::chrono::seconds kWebhookRetryWindow = std::chrono::hours(24 * 7);
inline constexpr std::chrono::seconds kWebhookFirstRetryDelay{10};
// When attempt number `attempts` (1-based, just failed) is retried; nullopt: give up.
std::optional<TimePoint> next_webhook_attempt(
    TimePoint event_created, int attempts, TimePoint now,
    std::chrono::seconds first_delay = kWebhookFirstRetryDelay);

// Replaces each {macro} of template_text by the payload's value of that name (strings as
// they are, numbers as digits, null as empty); unknown macros stay as written. For
// format=form, values are percent-encoded. Stored bytes that are not UTF-8 come out as U+FFFD.
std::string render_webhook_template(std::string_view template_text, const std::string& payload_json,
                                    WebhookFormat format);

}  // namespace callsight
