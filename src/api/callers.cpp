// DELETE /callers: a data subject's request to erase a caller's phone number from the
// partner's records (issue 15, item 6; docs/api.md, "DELETE /callers").
#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "store/call_record_store.hpp"

namespace callsight::api {
namespace {

Json count_text(std::size_t n) { return str(static_cast<std::int64_t>(n)); }

// The number is read as the switch's callers are stored: E.164, a national number in the
// partner's country. The answer does not repeat it.
http::Response delete_caller(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"anum"});
  const auto caller = fields.phone_number("anum", ctx.partner.country, Presence::required);
  fields.throw_if_errors();
  CallRecordStore::ErasedCaller erased;
  try {
    erased = ctx.store.calls().erase_caller(ctx.partner.id, *caller);
  } catch (const NotFoundError&) {
    throw_not_found("anum", "caller");
  }
  if (ctx.settings.recording_audio) {
    for (const auto& file : erased.recording_files) ctx.settings.recording_audio->remove(file);
  }
  return one("callers", Json{{"calls_erased", count_text(erased.calls)},
                             {"events_erased", count_text(erased.events)},
                             {"callbacks_erased", count_text(erased.callbacks)},
                             {"pincodes_erased", count_text(erased.pincodes)},
                             {"recordings_erased", count_text(erased.recordings)}});
}

}  // namespace

void register_callers(ApiRouter& router) { router.add("DELETE", "/callers", delete_caller); }

}  // namespace callsight::api
