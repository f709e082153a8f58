// The /customers/campaigns resource (reference §2.3). A campaign's settings are the
// defaults of its sources (core/source_settings.hpp); its state is derived when read.
#include "api/context.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "core/campaign.hpp"
#include "core/local_time.hpp"
#include "core/time_format.hpp"
#include "store/campaign_store.hpp"
#include "store/greeting_store.hpp"

namespace callsight::api {
namespace {

constexpr std::size_t kKeyMaxLength = 45;
constexpr std::size_t kEmailMaxLength = 150;

Json render(const Context& ctx, const Campaign& k) {
  Json sources = Json::array();
  for (const Id id : k.source_ids) sources.push_back(str(id));
  return {
      {"name", k.name},
      {"email", str_or_null(k.email)},
      {"smsnumber", str_or_null(k.smsnumber)},
      {"campaign_id", str(k.id)},
      {"partner_campaign_id", str_or_null(k.partner_campaign_id)},
      {"timestamp", format_utc(k.timestamp)},
      {"expire", k.expire ? Json(format_utc(*k.expire)) : Json()},
      {"pricing_model_id", k.pricing_model_id},
      {"notify_on_missed_call", str(k.notify_on_missed_call)},
      {"notify_on_answered_call", str(k.notify_on_answered_call)},
      {"notify_on_new_voicemail", str(k.notify_on_new_voicemail)},
      {"vm_divert_all", str(k.vm_divert_all)},
      {"vm_divert_busy", str(k.vm_divert_busy)},
      {"vm_divert_noanswer", str(k.vm_divert_noanswer)},
      {"call_recording", str(k.call_recording)},
      {"recording_notice", str(k.recording_notice)},
      {"sources", std::move(sources)},
      {"vm_greeting_id", str_or_null(k.vm_greeting_id)},
      {"state", str(static_cast<int>(derive_campaign_state(k, ctx.clock.now())))},
      {"customer_id", str(k.customer_id)},
      {"created", k.created},
      {"modified", k.modified},
  };
}

// The customer the request names, which must be the partner's (else 404).
Id partners_customer(Context& ctx) {
  const Id id = required_id(ctx.params, "customer_id");
  require_own_customer(ctx, id);
  return id;
}

Campaign existing_campaign(Context& ctx) {
  const Id customer_id = partners_customer(ctx);
  const Id id = required_id(ctx.params, "campaign_id");
  auto campaign = ctx.store.campaigns().find_campaign(ctx.partner.id, customer_id, id);
  if (!campaign) throw_not_found("campaign_id", "campaign");
  return *campaign;
}

// A given but empty value clears an optional field (e.g. "expire=" removes the expiry).
bool is_cleared(const Context& ctx, std::string_view name) {
  const auto value = ctx.params.get(name);
  return value && value->empty();
}

void apply_expire(Fields& fields, const Context& ctx, Campaign& campaign) {
  if (is_cleared(ctx, "expire")) {
    campaign.expire.reset();
    campaign.expires_at.reset();
  } else if (const auto expire = fields.utc_time("expire")) {
    // As for sources: the campaign runs to the end of the expire day, partner's time zone.
    campaign.expire = *expire;
    campaign.expires_at = end_of_local_day(*expire, ctx.partner.timezone);
  }
}

// The greeting must be one the campaign's customer can use: its own or a system greeting.
void apply_greeting(Fields& fields, const Context& ctx, ChangeLookups& lookups,
                    Campaign& campaign) {
  if (is_cleared(ctx, "vm_greeting_id")) {
    campaign.vm_greeting_id.reset();
    return;
  }
  const auto id = fields.id("vm_greeting_id");
  // Without a valid customer (already an error) there is nothing to check against.
  if (!id || campaign.customer_id == 0) return;
  if (!lookups.has_greeting(ctx.partner.id, campaign.customer_id, *id)) {
    fields.add_error("invalid", "vm_greeting_id",
                     "'vm_greeting_id' is not a greeting of this customer or the system");
    return;
  }
  campaign.vm_greeting_id = *id;
}

// The fields POST and PUT share; presence says whether POST's mandatory ones must be there.
void apply_fields(Fields& fields, const Context& ctx, ChangeLookups& lookups, Presence presence,
                  Campaign& campaign) {
  if (auto v = fields.non_empty_text("name", kNameMaxLength, presence)) campaign.name = *v;
  if (auto v = fields.non_empty_text("pricing_model_id", kKeyMaxLength, presence)) {
    campaign.pricing_model_id = *v;
  }
  if (is_cleared(ctx, "email")) {
    campaign.email.reset();
  } else if (auto v = fields.email("email", kEmailMaxLength)) {
    campaign.email = *v;
  }
  if (is_cleared(ctx, "smsnumber")) {
    campaign.smsnumber.reset();
  } else if (auto v = fields.phone_number("smsnumber", ctx.partner.country)) {
    campaign.smsnumber = *v;
  }
  if (is_cleared(ctx, "partner_campaign_id")) {
    campaign.partner_campaign_id.reset();
  } else if (auto v = fields.text("partner_campaign_id", kKeyMaxLength)) {
    campaign.partner_campaign_id = *v;
  }
  if (auto v = fields.utc_time("timestamp")) campaign.timestamp = *v;
  apply_expire(fields, ctx, campaign);
  for (auto [name, flag] : {std::pair{"notify_on_missed_call", &campaign.notify_on_missed_call},
                            std::pair{"notify_on_answered_call", &campaign.notify_on_answered_call},
                            std::pair{"notify_on_new_voicemail", &campaign.notify_on_new_voicemail},
                            std::pair{"vm_divert_all", &campaign.vm_divert_all},
                            std::pair{"vm_divert_busy", &campaign.vm_divert_busy},
                            std::pair{"vm_divert_noanswer", &campaign.vm_divert_noanswer},
                            std::pair{"call_recording", &campaign.call_recording},
                            std::pair{"recording_notice", &campaign.recording_notice}}) {
    if (auto v = fields.choice(name, {0, 1})) *flag = *v;
  }
  apply_greeting(fields, ctx, lookups, campaign);
  if (campaign.expires_at && *campaign.expires_at <= campaign.timestamp) {
    fields.add_error("invalid", "expire", "'expire' must come after the start 'timestamp'");
  }
}

const std::initializer_list<std::string_view> kWritableCampaignFields = {"name",
                                                                         "pricing_model_id",
                                                                         "email",
                                                                         "smsnumber",
                                                                         "partner_campaign_id",
                                                                         "timestamp",
                                                                         "expire",
                                                                         "notify_on_missed_call",
                                                                         "notify_on_answered_call",
                                                                         "notify_on_new_voicemail",
                                                                         "vm_divert_all",
                                                                         "vm_divert_busy",
                                                                         "vm_divert_noanswer",
                                                                         "call_recording",
                                                                         "recording_notice",
                                                                         "vm_greeting_id"};

http::Response get_campaigns(Context& ctx) {
  Fields fields(ctx.params);
  const auto customer_id = fields.id("customer_id", Presence::required).value_or(0);
  const auto campaign_id = fields.id("campaign_id");
  const auto page = read_page(fields);
  fields.throw_if_errors();
  require_own_customer(ctx, customer_id);
  Json items = Json::array();
  if (campaign_id) {
    const auto c = ctx.store.campaigns().find_campaign(ctx.partner.id, customer_id, *campaign_id);
    if (!c) throw_not_found("campaign_id", "campaign");
    items.push_back(render(ctx, *c));
    return list("campaigns", std::move(items), 1, page);
  }
  const auto result = ctx.store.campaigns().list_campaigns(ctx.partner.id, customer_id, page);
  for (const auto& c : result.items) items.push_back(render(ctx, c));
  return list("campaigns", std::move(items), result.total, page);
}

http::Response post_campaign(Context& ctx) {
  Fields fields(ctx.params);
  fields.allow_only(kWritableCampaignFields, {"customer_id", "campaign_id"});
  const auto customer_id = fields.id("customer_id", Presence::required);
  // Reference §2.3 lists campaign_id among POST's optional parameters, but the platform
  // assigns ids; changing a campaign is PUT's job.
  if (ctx.params.has("campaign_id")) {
    fields.add_error("invalid", "campaign_id",
                     "'campaign_id' is assigned by the platform; use PUT to change a campaign");
  }
  if (customer_id) require_own_customer(ctx, *customer_id);
  Campaign campaign;
  campaign.customer_id = customer_id.value_or(0);
  campaign.timestamp = ctx.clock.now();
  // The fields are applied in the creating transaction: the greeting they name is still
  // there when the campaign is written.
  const auto created = ctx.store.campaigns().create_campaign(
      ctx.partner.id, campaign, [&](Campaign& fresh, ChangeLookups& lookups) {
        apply_fields(fields, ctx, lookups, Presence::required, fresh);
        fields.throw_if_errors();
      });
  return one("campaigns", render(ctx, created));
}

http::Response put_campaign(Context& ctx) {
  const Id customer_id = partners_customer(ctx);
  const Id id = required_id(ctx.params, "campaign_id");
  const auto changed = ctx.store.campaigns().change_campaign(
      ctx.partner.id, customer_id, id, [&](Campaign& campaign, ChangeLookups& lookups) {
        Fields fields(ctx.params);
        fields.allow_only(kWritableCampaignFields, {"customer_id", "campaign_id"});
        apply_fields(fields, ctx, lookups, Presence::optional, campaign);
        fields.throw_if_errors();
        return true;
      });
  if (!changed) throw_not_found("campaign_id", "campaign");
  return one("campaigns", render(ctx, *changed));
}

// Refused (409 has_live_sources) while sources that are not archived belong to the
// campaign: deleting it would silently change what their calls do.
http::Response delete_campaign(Context& ctx) {
  const auto campaign = existing_campaign(ctx);
  return one("campaigns", render(ctx, ctx.store.campaigns().delete_campaign(
                                          ctx.partner.id, campaign.customer_id, campaign.id)));
}

}  // namespace

void register_campaigns(ApiRouter& router) {
  for (const auto* pattern : {"/customers/campaigns", "/customers/{customer_id}/campaigns"}) {
    router.add("POST", pattern, post_campaign);
  }
  for (const auto* pattern :
       {"/customers/campaigns", "/customers/{customer_id}/campaigns",
        "/customers/campaigns/{campaign_id}", "/customers/{customer_id}/campaigns/{campaign_id}"}) {
    router.add("GET", pattern, get_campaigns);
    router.add("PUT", pattern, put_campaign);
    router.add("DELETE", pattern, delete_campaign);
  }
}

}  // namespace callsight::api
