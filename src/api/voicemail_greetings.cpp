// The /customers/voicemail_greetings resource (reference §2.4). Greetings are recorded by
// phone (record_number + record_pin); uploading the audio as `sounddata` is our extension.
#include <variant>

#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "core/voicemail_greeting.hpp"
#include "store/greeting_store.hpp"

namespace callsight::api {
namespace {

Json render(const VoicemailGreeting& g) {
  Json used_by = Json::array();
  for (const Id id : g.used_by) used_by.push_back(str(id));
  Json j = {
      {"vm_greeting_id", str(g.id)},
      {"customer_id", str_or_null(g.customer_id)},
      {"name", g.name},
      {"timestamp", g.timestamp},
      {"datalength", str(g.datalength)},
      {"locked", str(g.locked ? 1 : 0)},
      {"used_by", std::move(used_by)},
  };
  if (g.sounddata_base64) {
    j["sounddata"] = g.sounddata_base64->empty() ? Json() : Json(*g.sounddata_base64);
  }
  return j;
}

// The greeting the request names, as the named customer (the partner's) sees it.
VoicemailGreeting existing_greeting(Context& ctx, bool with_sound) {
  const Id customer_id = required_id(ctx.params, "customer_id");
  require_own_customer(ctx, customer_id);
  const Id id = required_id(ctx.params, "vm_greeting_id");
  auto greeting = ctx.store.greetings().find_greeting(ctx.partner.id, customer_id, id, with_sound);
  if (!greeting) throw_not_found("vm_greeting_id", "voicemail greeting");
  return *greeting;
}

// System greetings are shared by every partner: visible, never changeable.
VoicemailGreeting changeable_greeting(Context& ctx) {
  auto greeting = existing_greeting(ctx, false);
  if (greeting.locked) {
    throw http::HttpError{
        403, {{"locked", "vm_greeting_id", "a system greeting is read-only"}}, {}};
  }
  return greeting;
}

http::Response get_greetings(Context& ctx) {
  Fields fields(ctx.params);
  const auto customer_id = fields.id("customer_id", Presence::required).value_or(0);
  const auto greeting_id = fields.id("vm_greeting_id");
  const auto page = read_page(fields);
  fields.throw_if_errors();
  Json items = Json::array();
  if (greeting_id) {
    items.push_back(render(existing_greeting(ctx, true)));
    return list("voicemail_greetings", std::move(items), 1, page);
  }
  require_own_customer(ctx, customer_id);
  const auto result = ctx.store.greetings().list_greetings(ctx.partner.id, customer_id, page);
  for (const auto& g : result.items) items.push_back(render(g));
  return list("voicemail_greetings", std::move(items), result.total, page);
}

http::Response post_greeting(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only({"customer_id", "name", "sounddata"});
  VoicemailGreeting greeting;
  greeting.customer_id = fields.id("customer_id", Presence::required);
  if (auto v = fields.non_empty_text("name", kNameMaxLength, Presence::required)) {
    greeting.name = *v;
  }
  if (const auto sounddata = ctx.params.get("sounddata")) {
    auto audio = decode_greeting_audio(*sounddata);
    if (const auto* error = std::get_if<AudioError>(&audio)) {
      fields.add_error("invalid", "sounddata", error->message);
    } else {
      const auto& bytes = std::get<std::string>(audio);
      greeting.datalength = static_cast<std::int64_t>(bytes.size());
      greeting.sounddata_base64 = encode_base64(bytes);  // canonical form, line breaks gone
    }
  }
  fields.throw_if_errors();
  require_own_customer(ctx, *greeting.customer_id);
  // Uploaded audio needs no recording call, so no PIN is handed out that could overwrite it.
  const bool recorded = greeting.sounddata_base64.has_value();
  const std::optional<std::string> pin =
      recorded ? std::nullopt : std::optional<std::string>(new_record_pin());
  auto j = render(ctx.store.greetings().create_greeting(ctx.partner.id, greeting, pin));
  j["record_number"] = recorded ? Json() : Json(std::string(kGreetingRecordNumber));
  j["record_pin"] = pin ? Json(*pin) : Json();
  return one("voicemail_greetings", std::move(j));
}

http::Response put_greeting(Context& ctx) {
  const auto greeting = changeable_greeting(ctx);
  Fields fields(ctx.params);
  fields.allow_only({"customer_id", "vm_greeting_id", "name"});
  const auto name = fields.non_empty_text("name", kNameMaxLength, Presence::required);
  fields.throw_if_errors();
  return one("voicemail_greetings",
             render(ctx.store.greetings().rename_greeting(ctx.partner.id, *greeting.customer_id,
                                                          greeting.id, *name)));
}

http::Response delete_greeting(Context& ctx) {
  const auto greeting = changeable_greeting(ctx);
  return one("voicemail_greetings", render(ctx.store.greetings().delete_greeting(
                                        ctx.partner.id, *greeting.customer_id, greeting.id)));
}

}  // namespace

void register_voicemail_greetings(ApiRouter& router) {
  for (const auto* pattern :
       {"/customers/voicemail_greetings", "/customers/{customer_id}/voicemail_greetings"}) {
    router.add("POST", pattern, post_greeting);
  }
  for (const auto* pattern :
       {"/customers/voicemail_greetings", "/customers/{customer_id}/voicemail_greetings",
        "/customers/voicemail_greetings/{vm_greeting_id}",
        "/customers/{customer_id}/voicemail_greetings/{vm_greeting_id}"}) {
    router.add("GET", pattern, get_greetings);
    router.add("PUT", pattern, put_greeting);
    router.add("DELETE", pattern, delete_greeting);
  }
}

}  // namespace callsight::api
