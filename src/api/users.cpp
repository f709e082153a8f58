// The /users resource (reference §2.9): login users of a customer account.
#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "common/random.hpp"
#include "store/customer_store.hpp"
#include "store/user_store.hpp"

namespace callsight::api {
namespace {

constexpr std::size_t kActivationTokenBytes = 16;

Json render(const User& u) {
  return {
      {"user_id", str(u.id)},
      {"name", u.name},
      {"email", u.email},
      {"write_access", str(u.write_access)},
      {"receive_monthly_report", str(u.receive_monthly_report)},
      {"customer_id", str(u.customer_id)},
      {"token", str_or_null(u.token)},
      {"created", u.created},
      {"modified", u.modified},
  };
}

void apply_optional_fields(Fields& fields, User& user) {
  if (auto v = fields.text("name", 60)) user.name = *v;
  if (auto v = fields.choice("write_access", {0, 1})) user.write_access = *v;
  if (auto v = fields.choice("receive_monthly_report", {0, 1, 2})) {
    user.receive_monthly_report = *v;
  }
}

User existing_user(Context& ctx) {
  const Id id = required_id(ctx.params, "user_id");
  auto user = ctx.store.users().find_user(ctx.partner.id, id);
  if (!user) throw_not_found("user_id", "user");
  return *user;
}

http::Response get_users(Context& ctx) {
  Fields fields(ctx.params);
  UserFilter filter;
  filter.user_id = fields.id("user_id");
  filter.customer_id = fields.id("customer_id");
  const auto page = read_page(fields);
  fields.throw_if_errors();
  if (filter.user_id && !ctx.store.users().find_user(ctx.partner.id, *filter.user_id)) {
    throw_not_found("user_id", "user");
  }
  if (filter.customer_id &&
      !ctx.store.customers().find_customer(ctx.partner.id, *filter.customer_id)) {
    throw_not_found("customer_id", "customer");
  }
  const auto result = ctx.store.users().list_users(ctx.partner.id, filter, page);
  Json items = Json::array();
  for (const auto& u : result.items) items.push_back(render(u));
  return list("users", std::move(items), result.total, page);
}

http::Response post_user(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"email", "customer_id", "name", "write_access", "receive_monthly_report"});
  User user;
  const auto email = fields.email("email", 60, Presence::required);
  const auto customer_id = fields.id("customer_id", Presence::required);
  apply_optional_fields(fields, user);
  fields.throw_if_errors();
  if (!ctx.store.customers().find_customer(ctx.partner.id, *customer_id)) {
    throw_not_found("customer_id", "customer");
  }
  user.email = *email;
  user.customer_id = *customer_id;
  user.token = random_hex(kActivationTokenBytes);
  return one("users", render(ctx.store.users().create_user(ctx.partner.id, user)));
}

// Applies `change` to the user the request names, in the store's one transaction.
http::Response change_user(Context& ctx, const Change<User>& change) {
  const Id id = required_id(ctx.params, "user_id");
  const auto changed = ctx.store.users().change_user(ctx.partner.id, id, change);
  if (!changed) throw_not_found("user_id", "user");
  return one("users", render(*changed));
}

http::Response put_user(Context& ctx) {
  return change_user(ctx, [&](User& user, auto&) {
    Fields fields(ctx.params);
    fields.allow_only({"user_id", "name", "write_access", "receive_monthly_report"});
    apply_optional_fields(fields, user);
    fields.throw_if_errors();
    return true;
  });
}

http::Response delete_user(Context& ctx) {
  const auto user = existing_user(ctx);
  return one("users", render(ctx.store.users().delete_user(ctx.partner.id, user.id)));
}

// Our extension: what the activation link in the welcome e-mail does.
http::Response activate_user(Context& ctx) {
  return change_user(ctx, [&](User& user, auto&) {
    Fields fields(ctx.params);
    fields.allow_only({"user_id", "token"});
    const auto token = fields.text("token", 64, Presence::required);
    fields.throw_if_errors();
    if (!user.token || *user.token != *token) {
      throw http::HttpError{
          400,
          {{"invalid", "token", "the token does not match, or the user is already active"}},
          {}};
    }
    user.token.reset();
    return true;
  });
}

}  // namespace

void register_users(ApiRouter& router) {
  router.add("POST", "/users", post_user);
  router.add("POST", "/users/activate", activate_user);
  for (const auto* pattern : {"/users", "/users/{user_id}"}) {
    router.add("GET", pattern, get_users);
    router.add("PUT", pattern, put_user);
    router.add("DELETE", pattern, delete_user);
  }
}

}  // namespace callsight::api
