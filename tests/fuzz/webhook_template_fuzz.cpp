// A partner's webhook body template, rendered with a real call payload.
// Input: "json" or "form" on the first line, the template after it.
#include <string>

#include "core/webhook.hpp"
#include "fuzz_target.hpp"

namespace {

constexpr const char* kPayload =
    R"({"event":"call.completed","cdr_id":"17","customer_id":7,"source_id":"3",)"
    R"("anum":"+4670123xxx","bnum":"+46812345678","cnum":"+46890510","answered":true,)"
    R"("duration":42,"voicemail":null,"media":"google & \"bing\"","nested":{"a":1}})";

}  // namespace

CALLSIGHT_FUZZ_TARGET(webhook_template) {
  using namespace callsight;
  const auto [format_text, template_text] = fuzz::split_line(input);
  const auto format = parse_webhook_format(format_text).value_or(WebhookFormat::json);
  render_webhook_template(template_text, kPayload, format);
}
