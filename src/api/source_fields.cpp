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

void write_source(JsonWriter& out, const Source& s, SourceStatus status) {
  out.begin();
  out.number("source_id", s.id);
  out.text("name", s.name);
  out.text_or_null("email", s.email);
  out.text_or_null("smsnumber", s.smsnumber);
  out.text("media", s.media);
  out.number("customer_id", s.customer_id);
  out.text("phonenr", s.answering_number);
  out.text("destnr", s.tracking_number);
  out.time("timestamp", s.lifecycle.activation);
  out.time_or_null("expire", s.lifecycle.expire);
  out.text("created", s.created);
  out.text("modified", s.modified);
  out.number("class", s.source_class);
  out.ascii("status", to_string(status));
  out.number_or_null("vm_greeting_id", s.vm_greeting_id);
  out.number_or_null("campaign_id", s.campaign_id);
  out.number_or_null("publisher_id", s.publisher_id);
  out.number("notify_on_missed_call", s.notify_on_missed_call);
  out.number("notify_on_new_voicemail", s.notify_on_new_voicemail);
  out.number("vm_divert_all", s.vm_divert_all);
  out.number("vm_divert_busy", s.vm_divert_busy);
  out.number("vm_divert_noanswer", s.vm_divert_noanswer);
  // Rare and short: the rules' wire form stays core's one rendering of them.
  out.raw("alt_numbers",
          s.alt_numbers.empty() ? "[]" : to_json_text(render_alt_number_rules(s.alt_numbers)));
  out.end();
}

http::Response render_sources(const Context& ctx, std::span<const Source> sources,
                              std::optional<ListTotals> totals) {
  return render_objects("sources", sources, totals, 640, [&](JsonWriter& out, const Source& s) {
    write_source(out, s, source_status(ctx, s));
  });
}

Json render_source(const Context& ctx, const Source& s) {
  JsonWriter out;
  write_source(out, s, source_status(ctx, s));
  return Json::parse(out.take());
}

}  // namespace callsight::api
