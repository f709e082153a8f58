// DELETE /visitors: a data subject's request to erase what dynamic numbers kept of a visit
// (issue 15, item 6; docs/dynamic-numbers.md, "Erasing a visitor's data").
#include "api/context.hpp"
#include "api/dni_requests.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "store/dni_store.hpp"

namespace callsight::api {
namespace {

http::Response delete_visitor(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"visitor_id", "session_id"});
  const auto visitor_id = read_client_id(fields, "visitor_id");
  const auto session_id = read_client_id(fields, "session_id");
  if (!visitor_id && !session_id && !fields.has_errors()) {
    fields.add_error("missing", "visitor_id", "give 'visitor_id' or 'session_id'");
  } else if (visitor_id && session_id) {
    fields.add_error("invalid", "session_id", "give 'visitor_id' or 'session_id', not both");
  }
  fields.throw_if_errors();
  DniStore::Erased erased;
  try {
    erased = ctx.store.dni().erase_visit_data(ctx.partner.id, visitor_id, session_id);
  } catch (const NotFoundError&) {
    throw_not_found(visitor_id ? "visitor_id" : "session_id", "visitor");
  }
  return one("visitors", Json{{"visitor_id", visitor_id ? Json(*visitor_id) : Json()},
                              {"session_id", session_id ? Json(*session_id) : Json()},
                              {"sessions_erased", str(static_cast<std::int64_t>(erased.sessions))},
                              {"calls_erased", str(static_cast<std::int64_t>(erased.calls))}});
}

}  // namespace

void register_visitors(ApiRouter& router) { router.add("DELETE", "/visitors", delete_visitor); }

}  // namespace callsight::api
