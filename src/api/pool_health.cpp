// GET /pools/health: how a pool of dynamic numbers copes with its traffic, and the size it
// should have (issue 15, item 8; docs/dynamic-numbers.md, "Pool size").
#include "core/dni/pool_health.hpp"

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "store/dni_store.hpp"

namespace callsight::api {
namespace {

// Without dates: the last 30 days, long enough to include a month's busiest hour.
constexpr auto kDefaultPeriod = std::chrono::days(30);

http::Response get_pool_health(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"pool_id", "from_date", "to_date"});
  const auto pool_id = fields.id("pool_id", Presence::required);
  const auto to = fields.utc_time("to_date").value_or(ctx.clock.now());
  const auto from = fields.utc_time("from_date").value_or(to - kDefaultPeriod);
  if (from > to) fields.add_error("invalid", "to_date", "'to_date' must not be before 'from_date'");
  fields.throw_if_errors();
  DniPoolUsage usage;
  try {
    // to_date is included, as in /statistics/cdrs; pool_usage's period ends before its end.
    usage =
        ctx.store.dni().pool_usage(ctx.partner.id, *pool_id, from, to + std::chrono::seconds(1));
  } catch (const NotFoundError&) {
    throw_not_found("pool_id", "pool");
  }
  const auto health = dni::pool_health(usage.held, usage.exhaustion_events);
  Json json = {{"pool_id", str(*pool_id)},
               {"from_date", format_utc(from)},
               {"to_date", format_utc(to)},
               {"sessions", str(static_cast<std::int64_t>(usage.sessions))},
               {"numbers", str(static_cast<std::int64_t>(usage.numbers))},
               {"peak_numbers_held", str(static_cast<std::int64_t>(health.peak_held))},
               {"times_exhausted", str(static_cast<std::int64_t>(health.exhaustion_events))},
               {"calls_matched", str(static_cast<std::int64_t>(usage.calls_matched))},
               {"calls_unmatched", str(static_cast<std::int64_t>(usage.calls_unmatched))},
               {"recommended_size", str(static_cast<std::int64_t>(health.recommended_size))}};
  return one("pool_health", std::move(json));
}

}  // namespace

void register_pool_health(ApiRouter& router) {
  router.add("GET", "/pools/health", get_pool_health);
}

}  // namespace callsight::api
