// The /customers/orders resource (reference §2.8; the path is inferred there): sales the
// partner reports back so that calls can be tied to revenue. Orders are only ever added.
#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "core/order.hpp"
#include "core/time_format.hpp"
#include "store/customer_store.hpp"
#include "store/order_store.hpp"

namespace callsight::api {
namespace {

Json render(const Order& o) {
  return {
      {"created", o.created},
      {"timestamp", format_utc(o.timestamp)},
      {"cli_id", o.cli_id},
      {"order_id", o.order_id},
      {"order_value", o.order_value},
      {"extras", str_or_null(o.extras)},
      {"customer_id", str(o.customer_id)},
      {"custnr", o.custnr},
  };
}

void require_own_custnr(Context& ctx, const std::string& custnr) {
  CustomerFilter filter;
  filter.custnr = custnr;
  if (ctx.store.customers().list_customers(ctx.partner.id, filter, {0, 1}).items.empty()) {
    throw_not_found("custnr", "customer");
  }
}

http::Response get_orders(Context& ctx) {
  Fields fields(ctx.params);
  OrderFilter filter;
  filter.customer_id = fields.id("customer_id");
  filter.custnr = fields.text("custnr", kCustnrMaxLength);
  filter.order_id = fields.text("order_id", kOrderIdMaxLength);
  const auto page = read_page(fields);
  fields.throw_if_errors();
  if (filter.customer_id) require_own_customer(ctx, *filter.customer_id);
  if (filter.custnr) require_own_custnr(ctx, *filter.custnr);
  const auto result = ctx.store.orders().list_orders(ctx.partner.id, filter, page);
  Json items = Json::array();
  for (const auto& o : result.items) items.push_back(render(o));
  return list("orders", std::move(items), result.total, page);
}

void read_order_value(Fields& fields, Order& order) {
  const auto value =
      fields.text("order_value", kOrderValueMaxIntegerDigits + 3, Presence::required);
  if (!value) return;
  if (!is_order_value(*value)) {
    fields.add_error("invalid", "order_value",
                     "'order_value' must be a non-negative decimal with at most two decimals, "
                     "e.g. 123.45");
    return;
  }
  order.order_value = *value;
}

http::Response post_order(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"customer_id", "timestamp", "cli_id", "order_id", "order_value", "extras"});
  Order order;
  const auto customer_id = fields.id("customer_id", Presence::required);
  const auto timestamp = fields.utc_time("timestamp", Presence::required);
  if (auto v = fields.text("cli_id", kOrderCliIdMaxLength, Presence::required)) order.cli_id = *v;
  if (auto v = fields.text("order_id", kOrderIdMaxLength, Presence::required)) {
    order.order_id = *v;
  }
  read_order_value(fields, order);
  if (auto v = fields.text("extras", kOrderExtrasMaxLength); v && !v->empty()) order.extras = *v;
  fields.throw_if_errors();
  require_own_customer(ctx, *customer_id);
  order.customer_id = *customer_id;
  order.timestamp = *timestamp;
  return one("orders", render(ctx.store.orders().create_order(ctx.partner.id, order)));
}

}  // namespace

// PUT and DELETE are not supported (reference §2.8): the router answers them 405 with Allow.
void register_orders(ApiRouter& router) {
  for (const auto* pattern : {"/customers/orders", "/customers/{customer_id}/orders"}) {
    router.add("GET", pattern, get_orders);
    router.add("POST", pattern, post_order);
  }
}

}  // namespace callsight::api
