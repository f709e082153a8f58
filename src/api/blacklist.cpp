// The /customers/blacklist resource (reference §2.7): callers that may not get through to a
// customer. The list is read and written whole.
#include "core/blacklist.hpp"

#include <variant>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "store/blacklist_store.hpp"

namespace callsight::api {
namespace {

// The reference's "blacklist array of numbers", in the usual envelope: {"blacklist":["+46…"]}.
// The list is small enough (kBlacklistMaxNumbers) to come whole, without paging.
http::Response render(const std::vector<std::string>& numbers) {
  Json body{{"blacklist", numbers}};
  return http::Response{200, "application/json", {}, to_json_text(body)};
}

// Store calls answer NotFoundError for a customer of another partner; the API names it.
template <class F>
auto for_own_customer(F&& store_call) {
  try {
    return store_call();
  } catch (const NotFoundError&) {
    throw_not_found("customer_id", "customer");
  }
}

http::Response get_blacklist(Context& ctx) {
  const Id customer_id = required_id(ctx.params, "customer_id");
  return render(for_own_customer(
      [&] { return ctx.store.blacklists().blacklist(ctx.partner.id, customer_id); }));
}

http::Response put_blacklist(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"customer_id", "phonenrs"});
  const auto customer_id = fields.id("customer_id", Presence::required);
  // A JSON array of kBlacklistMaxNumbers quoted E.164 numbers, with room for separators.
  const auto text = fields.text("phonenrs", kBlacklistMaxNumbers * 32, Presence::required);
  std::vector<std::string> numbers;
  if (text) {
    auto parsed = parse_blacklist(*text);
    if (const auto* error = std::get_if<BlacklistError>(&parsed)) {
      fields.add_error("invalid", "phonenrs", error->message);
    } else {
      numbers = std::get<std::vector<std::string>>(std::move(parsed));
    }
  }
  fields.throw_if_errors();
  return render(for_own_customer([&] {
    return ctx.store.blacklists().replace_blacklist(ctx.partner.id, *customer_id, numbers);
  }));
}

}  // namespace

// POST and DELETE are not supported (reference §2.7): the router answers them 405 with Allow.
void register_blacklist(ApiRouter& router) {
  for (const auto* pattern : {"/customers/blacklist", "/customers/{customer_id}/blacklist"}) {
    router.add("GET", pattern, get_blacklist);
    router.add("PUT", pattern, put_blacklist);
  }
}

}  // namespace callsight::api
