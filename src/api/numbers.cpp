// GET /numbers (our extension): the tracking numbers a partner can still be allocated, and
// the ones its sources hold, so a partner can see what is left before creating sources.
#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "store/number_store.hpp"

namespace callsight::api {
namespace {

http::Response get_numbers(Context& ctx) {
  Fields fields(ctx.params);
  std::optional<NumberState> state;
  if (const auto text = ctx.params.get("state")) {
    state = parse_number_state(*text);
    if (!state)
      fields.add_error("invalid", "state", "'state' must be free, allocated or quarantined");
  }
  const auto page = read_page(fields);
  fields.throw_if_errors();
  const auto numbers = ctx.store.numbers().list_numbers(state, ctx.partner.id);
  Json items = Json::array();
  const auto first = static_cast<std::size_t>(page.page) * page.pagesize;
  for (std::size_t i = first; i < numbers.size() && i < first + page.pagesize; ++i) {
    const auto& n = numbers[i];
    items.push_back({{"number", n.number},
                     {"state", std::string(to_string(n.state))},
                     {"source_id", str_or_null(n.source_id)}});
  }
  return list("numbers", std::move(items), static_cast<std::int64_t>(numbers.size()), page);
}

}  // namespace

void register_numbers(ApiRouter& router) { router.add("GET", "/numbers", get_numbers); }

}  // namespace callsight::api
