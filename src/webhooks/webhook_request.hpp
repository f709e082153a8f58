#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/webhook.hpp"

namespace callsight::webhooks {

// The request one attempt sends (docs/webhooks.md, "The delivery request"); `timestamp` is the
// attempt's Unix time, part of the signature.
struct WebhookRequest {
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // X-Callsight-*
};
WebhookRequest build_webhook_request(const Webhook& webhook, const OutboxEvent& event,
                                     TimePoint timestamp);

}  // namespace callsight::webhooks
