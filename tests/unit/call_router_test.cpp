#include "switch/call_router.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/alt_number_rules.hpp"
#include "core/dni/visit.hpp"
#include "core/number_route.hpp"
#include "core/phone_number.hpp"
#include "core/source_settings.hpp"
#include "core/time_format.hpp"
#include "store/blacklist_store.hpp"
#include "store/call_record_store.hpp"
#include "store/callback_store.hpp"
#include "store/campaign_store.hpp"
#include "store/customer_store.hpp"
#include "store/dni_store.hpp"
#include "store/greeting_store.hpp"
#include "store/number_store.hpp"
#include "store/source_store.hpp"
#include "store/webhook_store.hpp"
#include "store_test_support.hpp"

namespace callsight::switching {
namespace {

constexpr WeekdaySet kMonday = 1 << 0;
constexpr WeekdaySet kTuesday = 1 << 1;

// 2024-01-15 is a Monday; 12:00 UTC is 13:00 in Stockholm (CET).
class CallRouterTest : public SqlStoreFixture {
 protected:
  CallRouterTest() : SqlStoreFixture("2024-01-15 12:00:00"), router_(*store_, clock_, metrics_) {
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
    store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
  }

  Source add_source(std::vector<AltNumberRule> rules = {}) {
    Source s;
    s.partner_id = partner_;
    s.customer_id = customer_;
    s.name = "web";
    s.answering_number = "+46890510";
    s.lifecycle.activation = clock_.now();
    s.alt_numbers = std::move(rules);
    NumberRequest request;
    request.tracking_number = "+46812345678";
    return store_->sources().create_source(s, request);
  }

  // A pool of the customer holding the fixture's number.
  DniPool add_pool(const std::string& answering_number = "+46890777") {
    Source s;
    s.partner_id = partner_;
    s.customer_id = customer_;
    s.name = "web visitors";
    s.media = "web";
    s.answering_number = answering_number;
    s.lifecycle.activation = clock_.now();
    return store_->dni().create_pool(s, {}, {}, 1);
  }

  RouteDecision call(const std::string& id, const std::string& caller = "0701234567") {
    return router_.route({id, caller, "+46812345678"});
  }

  static AltNumberRule rule(const std::string& number, WeekdaySet days, int from_hour,
                            int to_hour) {
    AltNumberRule r;
    r.answering_number = number;
    r.weekdays = days;
    r.from_minute = from_hour * 60;
    r.to_minute = to_hour * 60;
    return r;
  }

  bool metrics_show(const std::string& sample_line) const {
    return metrics_.render().find("\n" + sample_line + "\n") != std::string::npos;
  }

  MetricsRegistry metrics_;
  CallRouter router_;
  Id partner_ = 0;
  Id customer_ = 0;
};

// The store as it is, but its routing table read notes when it ended: a change committed at
// that instant is not in the table.
class ReadEndingSources : public SourceStore {
 public:
  explicit ReadEndingSources(SourceStore& inner) : inner_(inner) {}
  Source create_source(const Source& source, const NumberRequest& number,
                       const std::function<void(ChangeLookups&)>& check) override {
    return inner_.create_source(source, number, check);
  }
  std::optional<Source> find_source(Id partner_id, Id source_id) override {
    return inner_.find_source(partner_id, source_id);
  }
  Page<Source> list_sources(Id partner_id, const SourceFilter& filter, PageRequest page) override {
    return inner_.list_sources(partner_id, filter, page);
  }
  Source update_source(const Source& source) override { return inner_.update_source(source); }
  std::optional<Source> change_source(Id partner_id, Id source_id,
                                      const Change<Source>& change) override {
    return inner_.change_source(partner_id, source_id, change);
  }
  int sweep_sources(const RowFailureHandler& on_failure) override {
    return inner_.sweep_sources(on_failure);
  }
  std::optional<NumberHolder> find_source_holding(const std::string& number) override {
    return inner_.find_source_holding(number);
  }
  RoutingTable routing_table() override {
    auto table = inner_.routing_table();
    read_ended = std::chrono::system_clock::now();
    return table;
  }
  std::chrono::system_clock::time_point read_ended;

 private:
  SourceStore& inner_;
};

class ReadEndingStore : public Store {
 public:
  explicit ReadEndingStore(Store& inner) : sources_(inner.sources()), inner_(inner) {}
  std::string description() const override { return inner_.description(); }
  StoreHealth check_health() override { return inner_.check_health(); }
  DatabasePoolStats pool_stats() const override { return inner_.pool_stats(); }
  std::string shared_secret(std::string_view name) override { return inner_.shared_secret(name); }
  PartnerStore& partners() override { return inner_.partners(); }
  CustomerStore& customers() override { return inner_.customers(); }
  UserStore& users() override { return inner_.users(); }
  NumberStore& numbers() override { return inner_.numbers(); }
  SourceStore& sources() override { return sources_; }
  CampaignStore& campaigns() override { return inner_.campaigns(); }
  GreetingStore& greetings() override { return inner_.greetings(); }
  BlacklistStore& blacklists() override { return inner_.blacklists(); }
  OrderStore& orders() override { return inner_.orders(); }
  CallbackStore& callbacks() override { return inner_.callbacks(); }
  PincodeStore& pincodes() override { return inner_.pincodes(); }
  CallRecordStore& calls() override { return inner_.calls(); }
  WebhookStore& webhooks() override { return inner_.webhooks(); }
  RecordingStore& recordings() override { return inner_.recordings(); }
  DniStore& dni() override { return inner_.dni(); }
  MailStore& mail() override { return inner_.mail(); }

  ReadEndingSources sources_;

 private:
  Store& inner_;
};

// An edge holding the table counts as current as of worked_out_at (its confirmation in
// /metrics, which the SIP tests wait for before they dial): every change committed before it
// must be in the table. So it is taken before the read: a quarantine committed while the read
// ran is not in the table, and the edge would route the number as active.
TEST_F(CallRouterTest, TheEdgesCopyIsCurrentAsOfTheStartOfItsRead) {
  ReadEndingStore store(*store_);
  MetricsRegistry metrics;
  CallRouter router(store, clock_, metrics);
  const auto before = std::chrono::system_clock::now();
  const auto table = router.edge_routes();
  EXPECT_GE(table->worked_out_at, before);
  EXPECT_LT(table->worked_out_at, store.sources_.read_ended);
}

TEST_F(CallRouterTest, ForwardsToTheAnsweringNumberAndRecordsTheCall) {
  add_source();
  const auto decision = call("c1");
  ASSERT_EQ(decision.action, RouteAction::forward);
  EXPECT_EQ(decision.destination, "+46890510");
  EXPECT_EQ(decision.caller_id, "+46701234567");
  const auto record = store_->calls().find_call_by_switch_id("c1");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id, decision.cdr_id);
  EXPECT_EQ(record->start, clock_.now());
  EXPECT_EQ(record->caller, "+46701234567");
}

TEST_F(CallRouterTest, TheRouteAndTheEdgesCopyCarryTheNoticeAndTheWhisper) {
  Campaign recorded;
  recorded.customer_id = customer_;
  recorded.name = "recorded";
  recorded.pricing_model_id = "p";
  recorded.timestamp = clock_.now();
  recorded.call_recording = 1;
  const auto campaign = store_->campaigns().create_campaign(partner_, recorded);
  auto source = add_source();
  source.campaign_id = campaign.id;
  store_->sources().update_source(source);
  auto customer = *store_->customers().find_customer(partner_, customer_);
  customer.whisper = 1;
  store_->customers().update_customer(customer);

  const auto decision = call("prompts");
  EXPECT_TRUE(decision.record);
  EXPECT_TRUE(decision.notice);
  EXPECT_EQ(decision.whisper_source, source.id);
  const auto again = call("prompts");  // asked again: the same answer
  EXPECT_TRUE(again.notice);
  EXPECT_EQ(again.whisper_source, source.id);
  const auto line_end = "|1|" + std::to_string(source.id) + "|";  // then no greeting
  const auto table = router_.edge_routes();
  EXPECT_EQ(std::count_if(table->entries.begin(), table->entries.end(),
                          [&](const std::string& e) {
                            return e.rfind("r|", 0) == 0 && e.ends_with(line_end);
                          }),
            2);  // both dialled forms

  auto quiet = *store_->campaigns().find_campaign(partner_, customer_, campaign.id);
  quiet.recording_notice = 0;
  store_->campaigns().update_campaign(partner_, quiet);
  customer.whisper = 0;
  store_->customers().update_customer(customer);
  const auto unannounced = call("quiet");
  EXPECT_TRUE(unannounced.record);
  EXPECT_FALSE(unannounced.notice);
  EXPECT_EQ(unannounced.whisper_source, std::nullopt);
  clock_.advance(std::chrono::seconds(1));
  const auto changed = router_.edge_routes();
  EXPECT_TRUE(std::all_of(
      changed->entries.begin(), changed->entries.end(),
      [](const std::string& e) { return !e.starts_with("r|") || e.ends_with("|0||"); }));
}

TEST_F(CallRouterTest, TheRouteAndTheEdgesCopyCarryTheVoicemailGreeting) {
  VoicemailGreeting uploaded;
  uploaded.customer_id = customer_;
  uploaded.name = "closed";
  uploaded.sounddata_base64 = "UklGRg==";
  uploaded.datalength = 4;
  const auto greeting = store_->greetings().create_greeting(partner_, uploaded, std::nullopt);
  Campaign campaign_settings;
  campaign_settings.customer_id = customer_;
  campaign_settings.name = "divert";
  campaign_settings.pricing_model_id = "p";
  campaign_settings.timestamp = clock_.now();
  campaign_settings.vm_divert_busy = 1;
  campaign_settings.vm_greeting_id = greeting.id;  // the campaign's, the source naming none
  const auto campaign = store_->campaigns().create_campaign(partner_, campaign_settings);
  auto source = add_source();
  source.campaign_id = campaign.id;
  store_->sources().update_source(source);

  const auto decision = call("greeted");
  EXPECT_EQ(decision.action, RouteAction::forward);
  EXPECT_EQ(decision.greeting, greeting.id);
  EXPECT_EQ(call("greeted").greeting, greeting.id);          // asked again: the same answer
  const auto line_end = "||" + std::to_string(greeting.id);  // no whisper, then the greeting
  const auto table = router_.edge_routes();
  EXPECT_EQ(std::count_if(
                table->entries.begin(), table->entries.end(),
                [&](const std::string& e) { return e.starts_with("r|") && e.ends_with(line_end); }),
            2);  // both dialled forms

  // Without a diversion the call never reaches voicemail: no greeting on its route.
  auto plain = *store_->campaigns().find_campaign(partner_, customer_, campaign.id);
  plain.vm_divert_busy = 0;
  store_->campaigns().update_campaign(partner_, plain);
  EXPECT_EQ(call("plain").greeting, std::nullopt);
}

TEST_F(CallRouterTest, AltNumberRulesFollowThePartnersWallClock) {
  // 13:00 local on Monday: the 13-14 Monday rule holds, the 12-13 one has just ended.
  add_source({rule("+46890001", kMonday, 12, 13), rule("+46890002", kMonday, 13, 14),
              rule("+46890003", kTuesday, 0, 24)});
  EXPECT_EQ(call("mon-13").destination, "+46890002");
  clock_.set(at("2024-01-15 23:30:00"));  // 00:30 on Tuesday in Stockholm
  EXPECT_EQ(call("tue-0030").destination, "+46890003");
  clock_.set(at("2024-01-22 11:59:59"));  // 12:59:59 the next Monday
  EXPECT_EQ(call("mon-1259").destination, "+46890001");
}

TEST_F(CallRouterTest, VoicemailRuleSendsToVoicemail) {
  add_source({rule(std::string(kVoicemail), kMonday, 0, 24)});
  EXPECT_EQ(call("vm").action, RouteAction::voicemail);
}

TEST_F(CallRouterTest, UpcomingSourceIsNotInUse) {
  auto source = add_source();
  source.lifecycle.activation = clock_.now() + std::chrono::hours(1);
  store_->sources().update_source(source);
  const auto decision = call("early");
  EXPECT_EQ(decision.action, RouteAction::reject);
  EXPECT_EQ(decision.sip_status, 404);
  EXPECT_EQ(decision.reason, "Not In Use");
  EXPECT_TRUE(decision.cdr_id);
}

TEST_F(CallRouterTest, TheEdgesCopyHoldsEveryDialledFormOfANumberAndTheCallersRefused) {
  auto source = add_source();
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  const auto table = router_.edge_routes();
  const auto customer = std::to_string(customer_);
  const auto has = [&](const std::string& prefix) {
    return std::any_of(table->entries.begin(), table->entries.end(),
                       [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
  };
  for (const auto* form : {"+46812345678", "46812345678"}) {
    EXPECT_TRUE(has(std::string("r|") + form + "|+46812345678|" + customer +
                    "|forward|0||+46890510|caller|0|0|0|0|"))
        << form;
  }
  for (const auto* form : {"+46701234567", "0701234567", "0046701234567"}) {
    EXPECT_TRUE(has("b|" + customer + "|" + form)) << form;
  }
  EXPECT_TRUE(std::is_sorted(table->entries.begin(), table->entries.end()));

  // After a change and the refresh, a new version that forwards to the new number.
  source.answering_number = "+46890777";
  store_->sources().update_source(source);
  clock_.advance(std::chrono::seconds(1));  // a new second refreshes
  const auto changed = router_.edge_routes();
  EXPECT_NE(changed->version, table->version);
  EXPECT_NE(std::find_if(changed->entries.begin(), changed->entries.end(),
                         [](const std::string& e) { return e.find("|+46890777|") != e.npos; }),
            changed->entries.end());
  // The same data gives the same version, on any node, at any instant of its validity.
  clock_.advance(std::chrono::minutes(5));
  EXPECT_EQ(router_.edge_routes()->version, changed->version);
}

TEST_F(CallRouterTest, ANumberWhoseRouteCannotBeWorkedOutIsLeftOutOfTheCopyAlone) {
  const auto source = add_source({rule("+46890001", kMonday, 12, 13)});
  RoutingTable table;
  for (const auto& [number, zone] : {std::pair{"+46811111111", "Nowhere/Atlantis"},
                                     std::pair{"+46812345678", "Europe/Stockholm"}}) {
    RoutableNumber routable;
    routable.holder.source = source;
    routable.holder.number = number;
    routable.quarantine_days = 60;
    routable.time_zone = zone;
    routable.country = "SE";
    table.numbers.push_back(routable);
  }
  const auto built = build_edge_routes(table, clock_.now());
  ASSERT_EQ(built.entries.size(), 2U);  // the good number's two dialled forms
  for (const auto& entry : built.entries) {
    EXPECT_EQ(entry.find("+46811111111"), std::string::npos) << entry;
  }
}

TEST_F(CallRouterTest, ACallTheEdgeRoutedFromItsCopyIsRecordedAsTheEdgeRoutedIt) {
  add_source();
  EdgeRoutedCall routed;
  routed.switch_call_id = "edge-1";
  routed.tracking_number = "+46812345678";
  routed.caller = "0701234567";
  routed.at = clock_.now() - std::chrono::seconds(40);
  routed.action = RouteAction::forward;
  routed.answering_number = "+46890999";  // what the copy said then, whatever the source says now
  routed.voicemail_on_busy = true;
  EXPECT_EQ(router_.record_edge_routed(std::span(&routed, 1)), 1U);
  EXPECT_EQ(router_.record_edge_routed(std::span(&routed, 1)), 1U);  // delivered twice: one record
  const auto record = store_->calls().find_call_by_switch_id("edge-1");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->answering_number, "+46890999");
  EXPECT_EQ(record->caller, "+46701234567");
  EXPECT_EQ(record->start, routed.at);
  EXPECT_TRUE(record->voicemail_on_busy);
  EXPECT_FALSE(record->ended_at);
  EXPECT_TRUE(metrics_show(R"(callsight_edge_routed_calls_total{action="forward"} 1)"));

  EdgeRoutedCall refused = routed;
  refused.switch_call_id = "edge-2";
  refused.action = RouteAction::reject;
  refused.sip_status = 403;
  refused.reason = "Forbidden";
  EXPECT_EQ(router_.record_edge_routed(std::span(&refused, 1)), 1U);
  const auto rejected = store_->calls().find_call_by_switch_id("edge-2");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(call_status(*rejected), CallStatus::rejected);
  EXPECT_EQ(rejected->reject_sip_status, 403);
  EXPECT_EQ(rejected->ended_at, routed.at);

  EdgeRoutedCall stranger = routed;
  stranger.switch_call_id = "edge-3";
  stranger.tracking_number = "+46899999999";
  EXPECT_EQ(router_.record_edge_routed(std::span(&stranger, 1)), 0U);
  EXPECT_FALSE(store_->calls().find_call_by_switch_id("edge-3"));
  EXPECT_TRUE(metrics_show("callsight_call_events_unknown_call_total 1"));
}

TEST_F(CallRouterTest, AnEdgeDeliverysRoutedCallsAreRecordedTogetherAndAStrangerSkipped) {
  add_source();
  std::vector<EdgeRoutedCall> batch(4);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].switch_call_id = "edge-b" + std::to_string(i);
    batch[i].tracking_number = "+46812345678";
    batch[i].caller = "0701234567";
    batch[i].at = clock_.now();
    batch[i].action = RouteAction::forward;
    batch[i].answering_number = "+46890999";
  }
  batch[1].tracking_number = "+46899999999";  // no customer holds it
  batch[3] = batch[0];                        // the same call again in the same delivery
  EXPECT_EQ(router_.record_edge_routed(batch), 3U);
  EXPECT_TRUE(store_->calls().find_call_by_switch_id("edge-b0"));
  EXPECT_FALSE(store_->calls().find_call_by_switch_id("edge-b1"));
  EXPECT_TRUE(store_->calls().find_call_by_switch_id("edge-b2"));
  EXPECT_EQ(store_->calls().list_calls(partner_, {}, {}).total, 2);
  EXPECT_TRUE(metrics_show(R"(callsight_edge_routed_calls_total{action="forward"} 2)"));
  EXPECT_TRUE(metrics_show("callsight_call_events_unknown_call_total 1"));
}

TEST_F(CallRouterTest, ABatchOfEventsEndsEachCallOnceAndCountsStrangers) {
  add_source();
  call("c1");
  call("c2");
  const auto now = clock_.now();
  CallEvent answered{CallEventType::answered, now + std::chrono::seconds(2)};
  CallEvent hangup{CallEventType::hangup, now + std::chrono::seconds(9)};
  CallEvent busy{CallEventType::failed, now + std::chrono::seconds(3)};
  busy.sip_status = 486;
  const std::vector<SwitchCallEvent> batch = {
      {"c1", answered}, {"c2", busy}, {"stranger", answered}, {"c1", hangup}, {"c1", hangup}};
  const auto outcome = router_.report_batch(batch);
  EXPECT_EQ(outcome.applied, 4U);
  EXPECT_EQ(outcome.unknown_calls, 1U);
  EXPECT_EQ(call_status(*store_->calls().find_call_by_switch_id("c1")), CallStatus::answered);
  EXPECT_EQ(call_status(*store_->calls().find_call_by_switch_id("c2")), CallStatus::busy);
  EXPECT_TRUE(
      metrics_show(R"(callsight_calls_ended_total{direction="inbound",status="answered"} 1)"));
  EXPECT_TRUE(metrics_show(R"(callsight_calls_ended_total{direction="inbound",status="busy"} 1)"));
  EXPECT_TRUE(metrics_show(R"(callsight_call_events_total{event="hangup"} 2)"));
  EXPECT_TRUE(metrics_show("callsight_call_events_unknown_call_total 1"));
}

TEST_F(CallRouterTest, BlacklistIsCheckedOnTheNormalisedCaller) {
  add_source();
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  EXPECT_EQ(call("b1", "070-123 45 67").sip_status, 403);
  EXPECT_EQ(call("b2", "+46709999999").action, RouteAction::forward);
}

TEST_F(CallRouterTest, UnparsableCallerIsKeptAsReceived) {
  add_source();
  call("anon", "anonymous");
  EXPECT_EQ(store_->calls().find_call_by_switch_id("anon")->caller, "anonymous");
}

TEST_F(CallRouterTest, RepeatedQuestionGetsTheFirstDecisionEvenAfterTheSourceChanged) {
  auto source = add_source();
  const auto first = call("again");
  source.answering_number = "+46899999";
  store_->sources().update_source(source);
  const auto second = call("again");
  EXPECT_EQ(second.destination, first.destination);
  EXPECT_EQ(second.cdr_id, first.cdr_id);
}

TEST_F(CallRouterTest, APoolsNumberIsRoutedWithThePoolsSettingsAndNamesThePool) {
  const auto pool = add_pool();
  const auto decision = call("p1");
  ASSERT_EQ(decision.action, RouteAction::forward);
  EXPECT_EQ(decision.destination, "+46890777");
  const auto record = store_->calls().find_call_by_switch_id("p1");
  EXPECT_EQ(record->source_id, pool.source.id);
  EXPECT_EQ(record->tracking_number, "+46812345678");
  EXPECT_EQ(record->customer_id, customer_);
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  EXPECT_EQ(call("p2").sip_status, 403);
}

TEST_F(CallRouterTest, ANumberRemovedFromItsPoolIsRefusedAsAQuarantinedSourcesIs) {
  const auto pool = add_pool();
  store_->dni().remove_pool_number(partner_, pool.source.id, "+46812345678");
  const auto decision = call("removed");
  EXPECT_EQ(decision.action, RouteAction::reject);
  EXPECT_EQ(decision.sip_status, 404);
  EXPECT_EQ(decision.reason, "Not In Use");
  const auto record = store_->calls().find_call_by_switch_id("removed");
  EXPECT_TRUE(record->quarantined);
  EXPECT_EQ(record->source_id, pool.source.id);
}

// ---- the live path and an edge's copy (core/number_route) ----

TEST_F(CallRouterTest, ANumberNotInUseRefusesABlacklistedCallerAsNotInUse) {
  auto source = add_source();
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  source.lifecycle.deleted_at = clock_.now();
  store_->sources().update_source(source);
  const auto decision = call("blacklisted-quarantined", "0701234567");
  EXPECT_EQ(decision.sip_status, 404);
  EXPECT_EQ(decision.reason, "Not In Use");
}

// An edge refuses the texts caller_forms gives for a blacklist entry: so does the live path.
TEST_F(CallRouterTest, EveryCallerFormOfABlacklistEntryIsRefusedLive) {
  add_source();
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  const auto forms = caller_forms("+46701234567", "SE");
  EXPECT_GE(forms.size(), 4U);
  for (const auto& form : forms) EXPECT_EQ(call("form-" + form, form).sip_status, 403) << form;
}

TEST_F(CallRouterTest, EveryDialledFormOfATrackingNumberReachesItsSource) {
  add_source();
  for (const auto& form : dialled_forms("+46812345678")) {
    EXPECT_EQ(router_.route({"dialled-" + form, "0701234567", form}).destination, "+46890510")
        << form;
  }
}

// A copy computed at any instant gives, until its valid_until, the route the live path takes.
TEST_F(CallRouterTest, TheLiveRouteIsTheRouteAnEdgesCopyHolds) {
  const auto source = add_source(
      {rule("+46890001", kMonday, 12, 13), rule(std::string(kVoicemail), kMonday, 13, 14)});
  const auto settings = effective_settings(source, nullptr);
  const HeldNumber held{.number = "+46812345678",
                        .source = source,
                        .settings = settings,
                        .quarantine_days = 90,
                        .time_zone = "Europe/Stockholm"};
  int calls = 0;
  for (auto t = at("2024-01-15 10:00:00"); t < at("2024-01-15 14:00:00");
       t += std::chrono::minutes(25)) {
    const auto copy = number_route_with_validity(held, t);
    for (const auto when : {t, copy.valid_until - std::chrono::seconds(1)}) {
      clock_.set(when);
      const auto live = call("copy-" + std::to_string(++calls));
      EXPECT_EQ(live.action, copy.route.action) << format_utc(when);
      EXPECT_EQ(live.destination, copy.route.answering_number) << format_utc(when);
    }
  }
}

// ---- which visit made a call ----

// The visitor's request for the fixture pool's number, as the browser script makes it.
DniNumberAnswer ask_for_number(Store& store, Id partner_id, Id pool_id) {
  DniNumberRequest request;
  request.partner_id = partner_id;
  request.pool_id = pool_id;
  request.consent = true;
  request.visit = dni::read_visit(
      "https://shop.example/tv?utm_source=google&utm_campaign=spring&gclid=G1&msclkid=M1",
      "https://www.google.com/", "GA1.2.123.456");
  request.user_agent = "Mozilla/5.0";
  request.ip_truncated = "203.0.113.0";
  return store.dni().request_number(request);
}

CallAttribution attribution_of(Store& store, const std::string& switch_call_id) {
  const auto record = store.calls().find_call_by_switch_id(switch_call_id);
  EXPECT_TRUE(record && record->attribution) << switch_call_id;
  return record && record->attribution ? *record->attribution : CallAttribution{};
}

TEST_F(CallRouterTest, ACallToAPoolNumberNamesTheVisitHoldingItThenTheGraceThenNone) {
  const auto pool = add_pool();  // lease 30 min, grace 10, cooldown 5
  const auto shown = ask_for_number(*store_, partner_, pool.source.id);
  ASSERT_EQ(shown.number, "+46812345678");

  clock_.advance(std::chrono::minutes(5));
  call("leased");
  const auto leased = attribution_of(*store_, "leased");
  EXPECT_EQ(leased.reason, "matched");
  EXPECT_EQ(leased.session_id, shown.session_id);
  EXPECT_EQ(leased.landing_url,
            "https://shop.example/tv?utm_source=google&utm_campaign=spring&gclid=G1&msclkid=M1");
  EXPECT_EQ(leased.referrer, "https://www.google.com/");
  EXPECT_EQ(leased.utm.source, "google");
  EXPECT_EQ(leased.utm.campaign, "spring");
  EXPECT_EQ(leased.click_ids.gclid, "G1");
  EXPECT_EQ(leased.click_ids.msclkid, "M1");
  EXPECT_EQ(leased.ga_client_id, "123.456");
  EXPECT_EQ(leased.explanation, "held by session " + shown.session_id +
                                    " since 2024-01-15 12:00:00, last heartbeat 2024-01-15 "
                                    "12:00:00, called 2024-01-15 12:05:00 (lease)");

  clock_.advance(std::chrono::minutes(30));  // 35 min after the last sign of life
  call("grace");
  const auto grace = attribution_of(*store_, "grace");
  EXPECT_EQ(grace.reason, "within_grace");
  EXPECT_EQ(grace.session_id, shown.session_id);
  EXPECT_EQ(grace.click_ids.gclid, "G1");

  clock_.advance(std::chrono::minutes(6));  // the grace ended at 12:40
  call("late");
  const auto late = attribution_of(*store_, "late");
  EXPECT_EQ(late.reason, "lease_and_grace_over");
  EXPECT_FALSE(late.session_id);
  EXPECT_EQ(late.landing_url, "");
  EXPECT_EQ(late.explanation,
            "no visit: lease and grace of the last visitor shown the number ended 2024-01-15 "
            "12:40:00");
}

TEST_F(CallRouterTest, ACallToANumberNeverShownOrToAStaticSourceSaysWhyItHasNoVisit) {
  add_pool();
  call("unshown");
  const auto unshown = attribution_of(*store_, "unshown");
  EXPECT_EQ(unshown.reason, "number_never_assigned");
  EXPECT_FALSE(unshown.session_id);

  store_->numbers().add_numbers({"+46812345679"}, std::nullopt);
  Source s;
  s.partner_id = partner_;
  s.customer_id = customer_;
  s.name = "print";
  s.answering_number = "+46890510";
  s.lifecycle.activation = clock_.now();
  store_->sources().create_source(s, {});
  router_.route({"static", "0701234567", "+46812345679"});
  const auto static_call = attribution_of(*store_, "static");
  EXPECT_EQ(static_call.reason, "static_source");
  EXPECT_EQ(static_call.explanation, "no visit: the number belongs to a static source");
}

TEST_F(CallRouterTest, AStaticNumberShownAsAPoolsFallbackSaysSo) {
  add_source();  // holds the fixture's number
  Source s;
  s.partner_id = partner_;
  s.customer_id = customer_;
  s.name = "web visitors";
  s.answering_number = "+46890777";
  s.lifecycle.activation = clock_.now();
  DniPoolSettings settings;
  settings.fallback_number = "+46812345678";
  const auto pool = store_->dni().create_pool(s, settings);  // no numbers: always the fallback
  ASSERT_EQ(ask_for_number(*store_, partner_, pool.source.id).verdict, dni::Pick::exhausted);
  call("fallback");
  EXPECT_EQ(attribution_of(*store_, "fallback").reason, "shown_as_fallback");
  clock_.advance(std::chrono::hours(1));  // lease and grace of that showing are over
  call("later");
  EXPECT_EQ(attribution_of(*store_, "later").reason, "static_source");
}

TEST_F(CallRouterTest, ClaimedCallbackIsSettledByItsEvents) {
  auto callback = new_callback(customer_, "+46701111111", "+46702222222", clock_.now());
  callback.retries = 1;
  callback.retry_interval = 60;
  const auto stored = store_->callbacks().create_callback(partner_, callback);
  auto dials = router_.claim_callbacks(10);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_EQ(dials[0].callback_id, stored.id);
  EXPECT_TRUE(router_.claim_callbacks(10).empty());  // claimed: not again until the retry

  CallEvent busy;
  busy.type = CallEventType::failed;
  busy.at = clock_.now();
  busy.sip_status = 486;
  router_.report(dials[0].switch_call_id, busy);  // first of two attempts: stays open
  clock_.advance(std::chrono::seconds(60));
  dials = router_.claim_callbacks(10);
  ASSERT_EQ(dials.size(), 1u);
  router_.report(dials[0].switch_call_id, busy);  // the last attempt completes it

  const auto listed =
      store_->callbacks()
          .list_callbacks(partner_, {customer_, at("2024-01-01"), at("2025-01-01")}, {})
          .items;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0].completed);
  EXPECT_EQ(listed[0].cdr_id, dials[0].cdr_id);
  EXPECT_TRUE(router_.claim_callbacks(10).empty());
}

TEST_F(CallRouterTest, CountsEachNewDecisionOnceAndEachCallEndOnce) {
  add_source();
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  call("m1", "+46709999999");
  call("m1", "+46709999999");  // a repeated question is not a new decision
  call("m2", "0701234567");
  router_.route({"m3", "+46709999999", "+46800000000"});
  EXPECT_TRUE(metrics_show("callsight_call_routes_total{decision=\"blacklisted\"} 1"));
  EXPECT_TRUE(metrics_show("callsight_call_routes_total{decision=\"forward\"} 1"));
  EXPECT_TRUE(metrics_show("callsight_call_routes_total{decision=\"not_found\"} 1"));

  CallEvent answered{.type = CallEventType::answered, .at = clock_.now()};
  CallEvent hangup{.type = CallEventType::hangup, .at = clock_.now() + std::chrono::seconds(5)};
  router_.report("m1", answered);
  router_.report("m1", hangup);
  router_.report("m1", hangup);  // the switch retransmits
  EXPECT_TRUE(metrics_show("callsight_call_events_total{event=\"hangup\"} 2"));
  EXPECT_TRUE(
      metrics_show("callsight_calls_ended_total{direction=\"inbound\",status=\"answered\"} 1"));
}

// ---- callers that are not numbers ----

TEST_F(CallRouterTest, AnyCallerTextIsRoutedAsUsualAndStoredAsSent) {
  add_source();
  // Even a blacklist holding every number these could be read as does not match them.
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567", "+461"});
  for (const std::string caller : {"åäö", "abc€1", "😀😀", "anonymous",
                                   "\xEF\xBF\xBD"
                                   "1",
                                   ""}) {
    const auto decision = call("text-" + std::to_string(caller.size()) + caller, caller);
    EXPECT_EQ(decision.action, RouteAction::forward) << caller;
    EXPECT_EQ(decision.caller_id, caller);
    EXPECT_EQ(store_->calls()
                  .find_call_by_switch_id("text-" + std::to_string(caller.size()) + caller)
                  ->caller,
              caller);
  }
  EXPECT_TRUE(metrics_show("callsight_call_routes_total{decision=\"forward\"} 6"));
}

// ---- how every call ends ----

std::vector<std::string> event_types(Store& store, Id partner_id, Id cdr_id) {
  std::vector<std::string> types;
  const auto events = store.webhooks().events_after(partner_id, 0, 1000);
  for (const auto& event : events.value()) {
    if (event.cdr_id == cdr_id) types.push_back(event.type);
  }
  return types;
}

TEST_F(CallRouterTest, RejectedCallsEndAsTheyAreRoutedWithOneCompletedEvent) {
  auto source = add_source();
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  const auto blacklisted = call("bl", "0701234567");
  source.lifecycle.deleted_at = clock_.now();  // quarantined from now on
  store_->sources().update_source(source);
  const auto quarantined = call("q", "0709999999");
  for (const auto& [id, decision, status] :
       {std::tuple{"bl", blacklisted, 403}, std::tuple{"q", quarantined, 404}}) {
    EXPECT_EQ(decision.sip_status, status);
    const auto record = store_->calls().find_call_by_switch_id(id);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->ended_at, record->start);
    EXPECT_EQ(record->failure_sip_status, status);
    EXPECT_EQ(call_status(*record), CallStatus::rejected);
    EXPECT_EQ(event_types(*store_, partner_, record->id),
              (std::vector<std::string>{"call.started", "call.completed"}));
  }
  call("bl", "0701234567");  // asked again: no second record, no second event
  EXPECT_EQ(event_types(*store_, partner_, *blacklisted.cdr_id).size(), 2u);
  EXPECT_TRUE(
      metrics_show("callsight_calls_ended_total{direction=\"inbound\",status=\"rejected\"} 2"));
}

TEST_F(CallRouterTest, TheCallStartsWhenTheEdgeSawIt) {
  add_source();
  const auto edge_time = clock_.now() - std::chrono::seconds(90);
  router_.route({"edge-time", "0701234567", "+46812345678", edge_time});
  EXPECT_EQ(store_->calls().find_call_by_switch_id("edge-time")->start, edge_time);
}

TEST_F(CallRouterTest, AnOverdueCallIsClosedAsUnknownAndALateEndCorrectsIt) {
  add_source();
  const auto cdr_id = *call("lost").cdr_id;
  router_.report("lost", CallEvent{.type = CallEventType::answered,
                                   .at = clock_.now() + std::chrono::seconds(4)});
  const auto max = std::chrono::hours(4);
  clock_.advance(max - std::chrono::seconds(1));
  EXPECT_FALSE(router_.close_overdue_call(cdr_id, max));
  clock_.advance(std::chrono::seconds(1));
  EXPECT_TRUE(router_.close_overdue_call(cdr_id, max));
  EXPECT_FALSE(router_.close_overdue_call(cdr_id, max));  // closed once
  auto record = store_->calls().find_call_by_switch_id("lost");
  EXPECT_EQ(call_status(*record), CallStatus::unknown);
  EXPECT_EQ(record->ended_at, record->answered_at);
  EXPECT_TRUE(
      metrics_show("callsight_calls_ended_total{direction=\"inbound\",status=\"unknown\"} 1"));

  // The real end arrives after all: the record is corrected and says so with call.updated.
  const auto real_end = record->start + std::chrono::seconds(64);
  router_.report("lost", CallEvent{.type = CallEventType::hangup, .at = real_end});
  record = store_->calls().find_call_by_switch_id("lost");
  EXPECT_EQ(call_status(*record), CallStatus::answered);
  EXPECT_EQ(record->ended_at, real_end);
  EXPECT_EQ(call_duration_seconds(*record), 60);
  EXPECT_EQ(event_types(*store_, partner_, cdr_id),
            (std::vector<std::string>{"call.started", "call.answered", "call.completed",
                                      "call.updated"}));
  // Counted once as ended: the correction is not a second end.
  EXPECT_TRUE(
      metrics_show("callsight_calls_ended_total{direction=\"inbound\",status=\"unknown\"} 1"));
}

TEST_F(CallRouterTest, AnOverdueCallbackAttemptIsSettled) {
  auto callback = new_callback(customer_, "+46701111111", "+46702222222", clock_.now());
  const auto stored = store_->callbacks().create_callback(partner_, callback);
  const auto dials = router_.claim_callbacks(10);
  ASSERT_EQ(dials.size(), 1u);
  clock_.advance(std::chrono::hours(1));
  EXPECT_TRUE(router_.close_overdue_call(dials[0].cdr_id, std::chrono::hours(1)));
  const auto listed =
      store_->callbacks()
          .list_callbacks(partner_, {customer_, at("2024-01-01"), at("2025-01-01")}, {})
          .items;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, stored.id);
  EXPECT_TRUE(listed[0].completed);  // no retries left
}

// ---- the routing snapshot ----

std::vector<std::pair<std::string, int>> event_sequences(Store& store, Id partner_id, Id cdr_id) {
  std::vector<std::pair<std::string, int>> sequences;
  const auto events = store.webhooks().events_after(partner_id, 0, 1000);
  for (const auto& event : events.value()) {
    if (event.cdr_id == cdr_id) sequences.emplace_back(event.type, event.sequence);
  }
  return sequences;
}

// The first events of a call are numbered without reading the call's last one (the row is
// new); the events after them still follow on.
TEST_F(CallRouterTest, ACallsEventsAreNumberedFromOneWhetherRoutedForwardedOrRejected) {
  add_source();
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  const auto rejected = call("numbered-bl", "0701234567");
  EXPECT_EQ(event_sequences(*store_, partner_, *rejected.cdr_id),
            (std::vector<std::pair<std::string, int>>{{"call.started", 1}, {"call.completed", 2}}));
  const auto forwarded = call("numbered-fw", "0709999999");
  router_.report("numbered-fw", {.type = CallEventType::ringing, .at = clock_.now()});
  EXPECT_EQ(event_sequences(*store_, partner_, *forwarded.cdr_id),
            (std::vector<std::pair<std::string, int>>{{"call.started", 1}, {"call.updated", 2}}));
}

// A router that reads the snapshot once in decades, so what follows is the snapshot's doing. Longer
// than any machine's uptime, which the steady clock counts from: its first snapshot is read on
// the first call all the same (on a machine up for less than an hour, a router refreshing hourly
// read none, and routed every call from the store).
class CallRouterCachedTest : public CallRouterTest {
 protected:
  RouteDecision cached_call(const std::string& id, const std::string& caller = "0701234567") {
    return cached_.route({id, caller, "+46812345678"});
  }

  MetricsRegistry cached_metrics_;
  CallRouter cached_{*store_, clock_, cached_metrics_, std::chrono::hours(24 * 365 * 50)};
};

TEST_F(CallRouterCachedTest, AChangeMadeOnThisNodeIsFollowedByTheNextCall) {
  auto source = add_source();
  EXPECT_EQ(cached_call("before").destination, "+46890510");
  source.answering_number = "+46899999";
  store_->sources().update_source(source);
  store_->blacklists().replace_blacklist(partner_, customer_, {"+46701234567"});
  // Not told: the snapshot read before the change decides (another node's change waits for
  // the next read, routes_refresh at most).
  EXPECT_EQ(cached_call("untold").destination, "+46890510");
  cached_.routing_changed();
  EXPECT_EQ(cached_call("told-blacklisted").sip_status, 403);
  EXPECT_EQ(cached_call("told", "0709999999").destination, "+46899999");
  EXPECT_EQ(store_->calls().find_call_by_switch_id("told")->answering_number, "+46899999");
}

TEST_F(CallRouterCachedTest, ARouteThatRanOutIsWorkedOutAgain) {
  // 13:00 local on Monday: the 13-14 rule holds until 14:00 local.
  add_source({rule("+46890002", kMonday, 13, 14)});
  EXPECT_EQ(cached_call("in-rule").destination, "+46890002");
  clock_.advance(std::chrono::minutes(59));
  EXPECT_EQ(cached_call("still-in-rule").destination, "+46890002");
  clock_.advance(std::chrono::minutes(1));  // 14:00 local: the snapshot's route ran out
  EXPECT_EQ(cached_call("after-rule").destination, "+46890510");
}

TEST_F(CallRouterCachedTest, ANumberTheSnapshotDoesNotHoldIsReadFromTheStore) {
  EXPECT_EQ(cached_call("no-source").sip_status, 404);
  add_source();  // after the snapshot was read
  EXPECT_EQ(cached_call("new-source").destination, "+46890510");
  EXPECT_EQ(cached_.route({"other", "0701234567", "+46899999999"}).sip_status, 404);
}

}  // namespace
}  // namespace callsight::switching
