// Webhook URLs (the url parameter of /webhooks) and the checks that keep them off the
// operator's own network.
#include <string>

#include "core/webhook_target.hpp"
#include "fuzz_target.hpp"

CALLSIGHT_FUZZ_TARGET(webhook_target) {
  using namespace callsight;
  is_local_host_name(input);
  is_private_address(input);
  is_ambiguous_numeric_host(input);
  const auto target = parse_webhook_url(input);
  if (!target) return;
  if (target->host.empty() || target->port == 0 || target->path.empty() ||
      target->path.front() != '/') {
    __builtin_trap();
  }
  is_local_host_name(target->host);
  is_private_address(target->host);
  is_ambiguous_numeric_host(target->host);
}
