#include "switch/edge_routes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "common/crypto.hpp"
#include "core/number_route.hpp"
#include "core/phone_number.hpp"
#include "core/source_settings.hpp"
#include "store/failure_kind.hpp"

namespace callsight::switching {
namespace {

std::string flag(bool value) { return value ? "1" : "0"; }

long long unix_seconds(TimePoint at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

// Everything after the dialled form: the same for every form of one number.
std::string route_fields(const RoutableNumber& routable, const TimedNumberRoute& timed) {
  const auto& route = timed.route;
  std::string line = routable.holder.number;
  for (const auto& field :
       {std::to_string(routable.holder.source.customer_id), std::string(to_string(route.action)),
        std::to_string(route.sip_status), route.reason, route.answering_number,
        std::string(route.caller_id == ShownCallerId::tracking_number ? "tracking" : "caller"),
        flag(route.record), flag(route.voicemail_on_busy), flag(route.voicemail_on_no_answer),
        flag(route.quarantined), std::to_string(unix_seconds(timed.valid_until)),
        flag(route.notice),
        route.whisper_source ? std::to_string(*route.whisper_source) : std::string(),
        route.greeting ? std::to_string(*route.greeting) : std::string()}) {
    line += '|';
    line += field;
  }
  return line;
}

}  // namespace

TimedNumberRoute route_of(const RoutableNumber& routable, TimePoint now) {
  const auto& holder = routable.holder;
  const auto settings =
      effective_settings(holder.source, routable.campaign ? &*routable.campaign : nullptr);
  return number_route_with_validity({.number = holder.number,
                                     .source = holder.source,
                                     .settings = settings,
                                     .quarantine_days = routable.quarantine_days,
                                     .time_zone = routable.time_zone,
                                     .show_tracking_number = routable.show_tracking_number,
                                     .whisper = routable.whisper,
                                     .removed_from_pool = holder.removed_from_pool},
                                    now);
}

EdgeRouteTable build_edge_routes(const RoutingTable& table, TimePoint now) {
  EdgeRouteTable out;
  out.computed_at = now;
  std::map<Id, std::string> country_of_customer;
  for (const auto& routable : table.numbers) {
    const auto& holder = routable.holder;
    std::string fields;
    try {
      fields = route_fields(routable, route_of(routable, now));
    } catch (const std::exception& e) {
      // One bad row (a stored time zone the rules cannot read) must not keep every edge's
      // copy from updating: that number has no line, so its calls ask callsightd.
      // The kind only: the error's text may quote the stored value.
      spdlog::warn("edge routes: number {} left out ({})", holder.number, failure_kind(e));
      continue;
    }
    for (const auto& form : dialled_forms(holder.number)) {
      out.entries.push_back("r|" + form + "|" + fields);
    }
    country_of_customer.emplace(holder.source.customer_id, routable.country);
  }
  for (const auto& entry : table.blacklisted) {
    const auto country = country_of_customer.find(entry.customer_id);
    if (country == country_of_customer.end()) continue;
    for (const auto& form : caller_forms(entry.number, country->second)) {
      out.entries.push_back("b|" + std::to_string(entry.customer_id) + "|" + form);
    }
  }
  std::sort(out.entries.begin(), out.entries.end());
  out.entries.erase(std::unique(out.entries.begin(), out.entries.end()), out.entries.end());
  std::string all;
  for (const auto& entry : out.entries) {
    all += entry;
    all += '\n';
  }
  out.version = crypto::sha256_hex(all).substr(0, 16);
  return out;
}

}  // namespace callsight::switching
