#include "api/source_fields.hpp"

#include <string>
#include <variant>

#include "core/alt_number_rules.hpp"
#include "core/local_time.hpp"
#include "core/phone_number.hpp"
#include "core/source_lifecycle.hpp"
#include "core/time_format.hpp"

namespace callsight::api {
namespace {

// A given but empty value clears an optional field (e.g. "expire=" removes the expiry).
bool is_cleared(const Context& ctx, std::string_view name) {
  const auto value = ctx.params.get(name);
  return value && value->empty();
}

template <class T>
void apply_optional_id(Fields& fields, const Context& ctx, std::string_view name,
                       std::optional<T>& target) {
  if (is_cleared(ctx, name)) {
    target.reset();
  } else if (auto v = fields.id(name)) {
    target = *v;
  }
}

void apply_alt_numbers(Fields& fields, const Context& ctx, Source& source) {
  const auto text = ctx.params.get("alt_numbers");
  if (!text) return;
  auto parsed = parse_alt_number_rules(text->empty() ? "[]" : *text, ctx.partner.country);
  if (auto* error = std::get_if<RuleError>(&parsed)) {
    fields.add_error("invalid", "alt_numbers", error->message);
    return;
  }
  source.alt_numbers = std::get<std::vector<AltNumberRule>>(std::move(parsed));
}

// Expiry takes effect at the end of the expire day in the partner's time zone (reference
// §2.10: "expiry takes effect at the end of the expiry day").
void apply_expire(Fields& fields, const Context& ctx, Source& source) {
  if (is_cleared(ctx, "expire")) {
    source.lifecycle.expire.reset();
    source.lifecycle.expires_at.reset();
    return;
  }
  const auto expire = fields.utc_time("expire");
  if (!expire) return;
  const auto ends = end_of_local_day(*expire, ctx.partner.timezone);
  if (ends <= ctx.clock.now()) {
    fields.add_error("invalid", "expire", "'expire' must not be a day that has already ended");
    return;
  }
  source.lifecycle.expire = *expire;
  source.lifecycle.expires_at = ends;
}

}  // namespace

const std::initializer_list<std::string_view> kSourceSettingFields = {"name",
                                                                      "phonenr",
                                                                      "media",
                                                                      "email",
                                                                      "smsnumber",
                                                                      "class",
                                                                      "campaign_id",
                                                                      "publisher_id",
                                                                      "vm_greeting_id",
                                                                      "notify_on_missed_call",
                                                                      "notify_on_new_voicemail",
                                                                      "vm_divert_all",
                                                                      "vm_divert_busy",
                                                                      "vm_divert_noanswer",
                                                                      "alt_numbers"};

void apply_source_fields(Fields& fields, const Context& ctx, Presence presence, Source& source) {
  const auto& country = ctx.partner.country;
  if (auto v = fields.non_empty_text("name", kNameMaxLength, presence)) source.name = *v;
  if (auto v = fields.phone_number("phonenr", country, presence)) source.answering_number = *v;
  if (auto v = fields.text("media", kNameMaxLength)) source.media = *v;
  if (is_cleared(ctx, "email")) {
    source.email.reset();
  } else if (auto v = fields.email("email", 150)) {
    source.email = *v;
  }
  if (is_cleared(ctx, "smsnumber")) {
    source.smsnumber.reset();
  } else if (auto v = fields.phone_number("smsnumber", country)) {
    source.smsnumber = *v;
  }
  if (auto v = fields.integer("class", 0, 1000)) source.source_class = static_cast<int>(*v);
  apply_optional_id(fields, ctx, "campaign_id", source.campaign_id);
  apply_optional_id(fields, ctx, "publisher_id", source.publisher_id);
  apply_optional_id(fields, ctx, "vm_greeting_id", source.vm_greeting_id);
  for (auto [name, flag] : {std::pair{"notify_on_missed_call", &source.notify_on_missed_call},
                            std::pair{"notify_on_new_voicemail", &source.notify_on_new_voicemail},
                            std::pair{"vm_divert_all", &source.vm_divert_all},
                            std::pair{"vm_divert_busy", &source.vm_divert_busy},
                            std::pair{"vm_divert_noanswer", &source.vm_divert_noanswer}}) {
    if (auto v = fields.choice(name, {0, 1})) *flag = *v;
  }
  if (auto v = fields.utc_time("timestamp")) source.lifecycle.activation = *v;
  apply_expire(fields, ctx, source);
  if (source.lifecycle.expires_at && *source.lifecycle.expires_at <= source.lifecycle.activation) {
    fields.add_error("invalid", "expire", "'expire' must come after the activation 'timestamp'");
  }
  apply_alt_numbers(fields, ctx, source);
}

void check_source_references(const Context& ctx, ChangeLookups& lookups, const Source& source) {
  Fields fields(ctx.params);
  const auto given = [&](std::string_view name) {
    const auto value = ctx.params.get(name);
    return value && !value->empty();
  };
  if (given("campaign_id") && source.campaign_id &&
      !lookups.has_campaign(ctx.partner.id, source.customer_id, *source.campaign_id)) {
    fields.add_error("invalid", "campaign_id", "'campaign_id' is not a campaign of this customer");
  }
  if (given("vm_greeting_id") && source.vm_greeting_id &&
      !lookups.has_greeting(ctx.partner.id, source.customer_id, *source.vm_greeting_id)) {
    fields.add_error("invalid", "vm_greeting_id",
                     "'vm_greeting_id' is not a greeting of this customer or the system");
  }
  fields.throw_if_errors();
}

NumberRequest read_number_request(Fields& fields, const Context& ctx) {
  NumberRequest request;
  if (auto v = fields.phone_number("destnr", ctx.partner.country)) request.tracking_number = *v;
  if (const auto ndc = ctx.params.get("ndc")) {
    request.prefix = e164_prefix_for_ndc(*ndc, ctx.partner.country);
    if (!request.prefix) fields.add_error("invalid", "ndc", "'ndc' must be an area code (digits)");
  }
  return request;
}

SourceStatus source_status(const Context& ctx, const Source& s) {
  return derive_status(s.lifecycle, ctx.clock.now(), ctx.partner.quarantine_days);
}

Json render_source(const Context& ctx, const Source& s) {
  return {
      {"source_id", str(s.id)},
      {"name", s.name},
      {"email", str_or_null(s.email)},
      {"smsnumber", str_or_null(s.smsnumber)},
      {"media", s.media},
      {"customer_id", str(s.customer_id)},
      {"phonenr", s.answering_number},
      {"destnr", s.tracking_number},
      {"timestamp", format_utc(s.lifecycle.activation)},
      {"expire", time_or_null(s.lifecycle.expire)},
      {"created", s.created},
      {"modified", s.modified},
      {"class", str(s.source_class)},
      {"status", std::string(to_string(source_status(ctx, s)))},
      {"vm_greeting_id", str_or_null(s.vm_greeting_id)},
      {"campaign_id", str_or_null(s.campaign_id)},
      {"publisher_id", str_or_null(s.publisher_id)},
      {"notify_on_missed_call", str(s.notify_on_missed_call)},
      {"notify_on_new_voicemail", str(s.notify_on_new_voicemail)},
      {"vm_divert_all", str(s.vm_divert_all)},
      {"vm_divert_busy", str(s.vm_divert_busy)},
      {"vm_divert_noanswer", str(s.vm_divert_noanswer)},
      {"alt_numbers", render_alt_number_rules(s.alt_numbers)},
  };
}

}  // namespace callsight::api
