#include "switch/call_router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <variant>

#include "common/cpu_slots.hpp"
#include "core/number_route.hpp"
#include "core/phone_number.hpp"
#include "core/source_settings.hpp"
#include "store/blacklist_store.hpp"
#include "store/call_record_store.hpp"
#include "store/callback_store.hpp"
#include "store/campaign_store.hpp"
#include "store/customer_store.hpp"
#include "store/failure_kind.hpp"
#include "store/partner_store.hpp"
#include "store/source_store.hpp"

namespace callsight::switching {
namespace {

std::optional<NumberHolder> holder_dialled(Store& store, const std::string& dialled) {
  const auto number = dialled_tracking_number(dialled);
  return number ? store.sources().find_source_holding(*number) : std::nullopt;
}

// Callers are kept whole: E.164 when the partner's country makes sense of them, otherwise
// as received ("anonymous", a SIP display name, any text), so nothing the switch said is
// lost. Only a number can be on a blacklist.
struct Caller {
  std::string text;
  bool is_number = false;
};

Caller normalised_caller(const std::string& caller, const std::string& country) {
  const auto normalised = normalize_phone_number(caller, country);
  if (const auto* number = std::get_if<std::string>(&normalised)) return {*number, true};
  return {caller, false};
}

RouteDecision reject(int sip_status, std::string reason) {
  RouteDecision decision;
  decision.action = RouteAction::reject;
  decision.sip_status = sip_status;
  decision.reason = std::move(reason);
  return decision;
}

// What the caller and the answering party hear besides each other (NumberRoute's notice,
// whisper_source and voicemail greeting), for the answer to the switch.
struct CallPrompts {
  bool notice = false;
  std::optional<Id> whisper_source;
  std::optional<Id> greeting;
};

// The answer to the switch follows from the stored record alone (plus whom the customer
// shows as calling and the call's prompts), so a repeated question gets the same answer.
RouteDecision decision_for(const CallRecord& record, ShownCallerId shown,
                           const CallPrompts& prompts) {
  RouteDecision decision;
  decision.action = record.action;
  decision.cdr_id = record.id;
  if (record.action == RouteAction::reject) {
    decision.sip_status = record.reject_sip_status.value_or(404);
    decision.reason = record.reject_reason;
  } else if (record.action == RouteAction::forward) {
    decision.destination = record.answering_number;
    decision.caller_id =
        shown == ShownCallerId::tracking_number ? record.tracking_number : record.caller;
    decision.record = record.recorded;
    decision.voicemail_on_busy = record.voicemail_on_busy;
    decision.voicemail_on_no_answer = record.voicemail_on_no_answer;
    decision.notice = prompts.notice;
    decision.whisper_source = prompts.whisper_source;
  }
  if (record.action != RouteAction::reject) decision.greeting = prompts.greeting;
  return decision;
}

void take_route(CallRecord& record, const NumberRoute& route) {
  if (route.action == RouteAction::reject) {
    reject_call(record, route.sip_status, route.reason);
    record.quarantined = route.quarantined;
    return;
  }
  record.action = route.action;
  record.recorded = route.record;
  record.answering_number = route.answering_number;
  record.voicemail_on_busy = route.voicemail_on_busy;
  record.voicemail_on_no_answer = route.voicemail_on_no_answer;
}

// A new call to the number `holder` holds, before its route is taken.
CallRecord new_call_record(const NumberHolder& holder, const std::string& switch_call_id,
                           const std::string& caller, TimePoint start) {
  const auto& source = holder.source;
  CallRecord record;
  record.partner_id = source.partner_id;
  record.customer_id = source.customer_id;
  record.source_id = source.id;
  record.campaign_id = source.campaign_id;
  record.switch_call_id = switch_call_id;
  record.caller = caller;
  record.tracking_number = holder.number;
  record.start = start;
  return record;
}

}  // namespace

CallRouter::CallRouter(Store& store, const Clock& clock, MetricsRegistry& metrics,
                       std::chrono::milliseconds routes_refresh)
    : store_(store),
      clock_(clock),
      routes_(metrics.counter("callsight_call_routes_total",
                              "New calls routed, by decision: forward, voicemail, not_found (no "
                              "tracking number in use), not_in_use, blacklisted.",
                              {"decision"})),
      events_(metrics.counter("callsight_call_events_total",
                              "Call events the switch reported, repeats included, by event.",
                              {"event"})),
      ended_(metrics.counter("callsight_calls_ended_total",
                             "Calls that ended (hangup or final failure), once each, by "
                             "direction and final status.",
                             {"direction", "status"})),
      callback_dials_(metrics
                          .counter("callsight_callback_dials_total",
                                   "Outbound callback calls handed to the switch to dial.")
                          .unlabelled()),
      unknown_call_events_(metrics
                               .counter("callsight_call_events_unknown_call_total",
                                        "Call events an edge delivered for a call it never "
                                        "routed through this platform; skipped.")
                               .unlabelled()),
      edge_routed_(metrics.counter("callsight_edge_routed_calls_total",
                                   "Calls an edge routed from its copy of the routes, recorded "
                                   "from its routed event, by action: forward, voicemail, reject.",
                                   {"action"})),
      routes_refresh_(routes_refresh),
      records_(store.calls()) {}

RouteDecision CallRouter::route(const RouteRequest& request) {
  if (auto decided = route_from_snapshot(request, clock_.now())) return std::move(*decided);
  if (const auto known = store_.calls().find_call_by_switch_id(request.switch_call_id)) {
    return repeated_decision(*known);
  }
  return route_new_call(request);
}

RouteDecision CallRouter::repeated_decision(const CallRecord& known) {
  const auto customer = store_.customers().find_customer(known.partner_id, known.customer_id);
  // The prompts are not stored: asked again, they follow the settings as they are now.
  const auto campaign = known.campaign_id
                            ? store_.campaigns().find_campaign(known.partner_id, known.customer_id,
                                                               *known.campaign_id)
                            : std::nullopt;
  const auto source = known.source_id
                          ? store_.sources().find_source(known.partner_id, *known.source_id)
                          : std::nullopt;
  const auto vm_greeting_id =
      source ? effective_settings(*source, campaign ? &*campaign : nullptr).vm_greeting_id
             : std::nullopt;
  const CallPrompts prompts{
      .notice = plays_recording_notice(known.recorded, campaign ? campaign->recording_notice : 0),
      .whisper_source = known.source_id
                            ? whisper_source(customer && customer->whisper != 0, *known.source_id)
                            : std::nullopt,
      .greeting = voicemail_greeting(known.action, known.voicemail_on_busy,
                                     known.voicemail_on_no_answer, vm_greeting_id)};
  return decision_for(known, shown_caller_id(customer && customer->freespee_caller_id), prompts);
}

void CallRouter::routing_changed() { routing_generation_.fetch_add(1); }

std::shared_ptr<const CallRouter::RoutingSnapshot> CallRouter::routing_snapshot() {
  const auto generation = routing_generation_.load();
  const auto now_steady = std::chrono::steady_clock::now();
  std::shared_ptr<const RoutingSnapshot> current;
  {
    std::lock_guard lock(snapshot_mutex_);
    current = snapshot_;
    const auto last_read = std::max(
        current ? current->read_at : std::chrono::steady_clock::time_point{}, snapshot_failed_at_);
    // The steady clock counts from boot: on a machine up for less than routes_refresh, the
    // first snapshot would otherwise wait until it had been up that long.
    const bool never_read =
        !current && snapshot_failed_at_ == std::chrono::steady_clock::time_point{};
    const bool due = never_read || now_steady - last_read >= routes_refresh_;
    // One thread reads at a time; the others go on with the snapshot they have meanwhile.
    if (!due || snapshot_reading_) {
      return current && current->generation == generation ? current : nullptr;
    }
    snapshot_reading_ = true;
  }
  auto fresh = std::make_shared<RoutingSnapshot>();
  try {
    fresh->generation = generation;
    fresh->read_at = now_steady;
    fresh->computed_at = clock_.now();
    fresh->table = store_.sources().routing_table();
    const auto& numbers = fresh->table.numbers;
    fresh->routes.resize(numbers.size());
    std::map<Id, std::string_view> country_of_customer;
    decltype(forms_of_) forms_of;  // of the numbers in this snapshot
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      const auto& routable = numbers[i];
      const auto& holder = routable.holder;
      try {
        fresh->routes[i] = route_of(routable, fresh->computed_at);
      } catch (const std::exception&) {
        continue;  // its calls are routed from the store, which says what is wrong
      }
      // A number's forms are the same every time, and working them out (libphonenumber)
      // cost more than the rest of a snapshot: kept from the last one.
      auto forms = forms_of_.extract(holder.number);
      if (forms.empty()) {
        forms_of.emplace(holder.number, dialled_forms(holder.number));
      } else {
        forms_of.insert(std::move(forms));
      }
      for (const auto& form : forms_of.at(holder.number)) fresh->by_form.emplace(form, i);
      country_of_customer.emplace(holder.source.customer_id, routable.country);
    }
    for (const auto& entry : fresh->table.blacklisted) {
      if (country_of_customer.contains(entry.customer_id)) {
        fresh->blacklisted[entry.customer_id].insert(entry.number);
      }
    }
    forms_of_ = std::move(forms_of);
  } catch (const std::exception& e) {
    // The calls are routed from the store meanwhile, each failing alone if it must; the
    // snapshot is tried again after routes_refresh. The kind only: the text may quote data.
    spdlog::warn("routing snapshot not read ({}); calls are routed from the store",
                 failure_kind(e));
    std::lock_guard lock(snapshot_mutex_);
    snapshot_reading_ = false;
    snapshot_failed_at_ = now_steady;
    return nullptr;
  }
  std::lock_guard lock(snapshot_mutex_);
  snapshot_reading_ = false;
  snapshot_ = std::move(fresh);
  return snapshot_->generation == routing_generation_.load() ? snapshot_ : nullptr;
}

std::optional<CallRouter::SnapshotRoute> CallRouter::snapshot_route(const RouteRequest& request,
                                                                    TimePoint now) {
  const auto snapshot = routing_snapshot();
  if (!snapshot) return std::nullopt;
  auto found = snapshot->by_form.find(request.dialled);
  if (found == snapshot->by_form.end()) {
    // Dialled with separators or a prefix: the forms are the texts without them.
    const auto number = dialled_tracking_number(request.dialled);
    if (!number) return std::nullopt;
    found = snapshot->by_form.find(*number);
    if (found == snapshot->by_form.end()) return std::nullopt;
  }
  const auto& routable = snapshot->table.numbers[found->second];
  const auto& timed = snapshot->routes[found->second];
  // The route holds from when it was worked out until it changes by itself; outside that,
  // the store decides.
  if (!timed || now < snapshot->computed_at || now >= timed->valid_until) return std::nullopt;
  const auto& holder = routable.holder;
  const auto& source = holder.source;
  const auto caller = normalised_caller(request.caller, routable.country);
  SnapshotRoute routed{
      .record =
          new_call_record(holder, request.switch_call_id, caller.text, request.at.value_or(now)),
      .route = timed->route,
      .decision = timed->route.action == RouteAction::reject ? "not_in_use"
                                                             : to_string(timed->route.action)};
  auto& record = routed.record;
  const auto refused = snapshot->blacklisted.find(source.customer_id);
  if (screens_callers(routed.route) && caller.is_number && refused != snapshot->blacklisted.end() &&
      refused->second.contains(record.caller)) {
    spdlog::info("call {}: caller {} is blacklisted by customer {}; rejected",
                 request.switch_call_id, mask_caller(record.caller), record.customer_id);
    routed.decision = "blacklisted";
    routed.route = blacklisted_caller_route();
  }
  take_route(record, routed.route);
  return routed;
}

RouteDecision CallRouter::snapshot_decision(const SnapshotRoute& routed,
                                            const RecordedCall& stored) {
  // Asked before: the first decision, as for any call the store knows.
  if (!stored.inserted) return repeated_decision(stored.record);
  routes_.labels({routed.decision}).inc();
  if (stored.record.ended_at) count_end(stored.record);
  const auto& route = routed.route;
  return decision_for(
      stored.record, route.caller_id,
      {.notice = route.notice, .whisper_source = route.whisper_source, .greeting = route.greeting});
}

std::optional<RouteDecision> CallRouter::route_from_snapshot(const RouteRequest& request,
                                                             TimePoint now) {
  auto routed = snapshot_route(request, now);
  if (!routed) return std::nullopt;
  // Durable before the answer, in one transaction with the calls routed meanwhile.
  return snapshot_decision(*routed, records_.record(routed->record));
}

void CallRouter::route_then(const RouteRequest& request, Decided decided) {
  std::optional<SnapshotRoute> routed;
  try {
    routed = snapshot_route(request, clock_.now());
  } catch (...) {
    return decided(std::nullopt, std::current_exception());
  }
  if (!routed) {
    // Read from the store, on this thread: numbers the snapshot does not hold are rare.
    std::optional<RouteDecision> decision;
    std::exception_ptr error;
    try {
      decision = route(request);
    } catch (...) {
      error = std::current_exception();
    }
    return decided(std::move(decision), error);
  }
  // Durable before the answer, in one transaction with the calls routed meanwhile; this
  // request's thread goes back to other requests until then.
  auto record = routed->record;
  records_.record_then(std::move(record),
                       [this, routed = std::move(*routed), decided = std::move(decided)](
                           std::optional<RecordedCall> stored, const std::exception_ptr& error) {
                         if (error) return decided(std::nullopt, error);
                         std::optional<RouteDecision> decision;
                         try {
                           decision = snapshot_decision(routed, *stored);
                         } catch (...) {
                           return decided(std::nullopt, std::current_exception());
                         }
                         decided(std::move(decision), nullptr);
                       });
}

std::optional<CallRouter::NewCall> CallRouter::new_call(const NumberHolder& holder,
                                                        const std::string& switch_call_id,
                                                        const std::string& caller, TimePoint start,
                                                        HoldersCache& holders) {
  const auto& source = holder.source;
  auto [cached, absent] = holders.try_emplace(std::pair(source.partner_id, source.customer_id));
  if (absent) {
    cached->second.partner = store_.partners().find_partner(source.partner_id);
    if (cached->second.partner) {
      cached->second.customer =
          store_.customers().find_customer(source.partner_id, source.customer_id);
    }
  }
  const auto& partner = cached->second.partner;
  const auto& customer = cached->second.customer;
  if (!customer) return std::nullopt;
  const auto normalised = normalised_caller(caller, partner->country);
  NewCall call;
  call.caller_is_number = normalised.is_number;
  call.show_tracking_number = customer->freespee_caller_id != 0;
  call.whisper = customer->whisper != 0;
  call.record = new_call_record(holder, switch_call_id, normalised.text, start);
  return call;
}

// A call to a pool's number is routed as a call to a static source with the pool's settings.
RouteDecision CallRouter::route_new_call(const RouteRequest& request) {
  const auto holder = holder_dialled(store_, request.dialled);
  // The decision is the platform's, taken now; the call started when the edge saw it.
  const auto now = clock_.now();
  HoldersCache holders;
  auto call = holder ? new_call(*holder, request.switch_call_id, request.caller,
                                request.at.value_or(now), holders)
                     : std::nullopt;
  if (!call) {
    spdlog::info("call {}: {} is not a tracking number in use; rejected", request.switch_call_id,
                 request.dialled);
    routes_.labels({"not_found"}).inc();
    return reject(404, "Not Found");
  }
  auto& record = call->record;
  const auto& source = holder->source;
  // new_call read the partner; it is there, or there would be no call.
  const auto& partner = holders.begin()->second.partner;
  const auto campaign = source.campaign_id
                            ? store_.campaigns().find_campaign(
                                  record.partner_id, record.customer_id, *source.campaign_id)
                            : std::nullopt;
  const auto settings = effective_settings(source, campaign ? &*campaign : nullptr);
  auto route = number_route_at({.number = holder->number,
                                .source = source,
                                .settings = settings,
                                .quarantine_days = partner->quarantine_days,
                                .time_zone = partner->timezone,
                                .show_tracking_number = call->show_tracking_number,
                                .whisper = call->whisper,
                                .removed_from_pool = holder->removed_from_pool},
                               now);
  std::string_view decision =
      route.action == RouteAction::reject ? "not_in_use" : to_string(route.action);
  if (screens_callers(route) && call->caller_is_number &&
      store_.blacklists().is_blacklisted(record.customer_id, record.caller)) {
    // Masked as in API answers: the log is read by more people than the CDRs are.
    spdlog::info("call {}: caller {} is blacklisted by customer {}; rejected",
                 request.switch_call_id, mask_caller(record.caller), record.customer_id);
    decision = "blacklisted";
    route = blacklisted_caller_route();
  }
  take_route(record, route);
  const auto stored = records_.record(record).record;
  routes_.labels({decision}).inc();
  // A rejection ends the call as it is routed (two nodes asked about one call at once
  // would count it twice; routing retries go through route()'s lookup instead).
  if (stored.ended_at) count_end(stored);
  return decision_for(
      stored, route.caller_id,
      {.notice = route.notice, .whisper_source = route.whisper_source, .greeting = route.greeting});
}

std::size_t CallRouter::record_edge_routed(std::span<const EdgeRoutedCall> calls) {
  std::vector<CallRecord> records;
  records.reserve(calls.size());
  HoldersCache holders;
  // The holder of each number from the routing snapshot, as route() finds it: a read of the
  // store per call was a tenth of this path's CPU (bench/README.md, "Calls the edge routes
  // from its copy"). A number the snapshot does not hold is read from the store.
  const auto snapshot = routing_snapshot();
  for (const auto& routed : calls) {
    std::optional<NewCall> call;
    const auto known = snapshot ? snapshot->by_form.find(routed.tracking_number)
                                : decltype(snapshot->by_form)::const_iterator{};
    if (snapshot && known != snapshot->by_form.end()) {
      const auto& routable = snapshot->table.numbers[known->second];
      call.emplace();
      call->record =
          new_call_record(routable.holder, routed.switch_call_id,
                          normalised_caller(routed.caller, routable.country).text, routed.at);
    } else {
      const auto holder = store_.sources().find_source_holding(routed.tracking_number);
      if (holder)
        call = new_call(*holder, routed.switch_call_id, routed.caller, routed.at, holders);
    }
    if (!call) {
      spdlog::warn("call {}: the edge routed it to {}, which no customer holds now; not recorded",
                   routed.switch_call_id, routed.tracking_number);
      unknown_call_events_.inc();
      continue;
    }
    auto& record = call->record;
    if (routed.action == RouteAction::reject) {
      reject_call(record, routed.sip_status, routed.reason);
      record.quarantined = routed.quarantined;
    } else {
      record.action = routed.action;
      record.recorded = routed.record;
      record.answering_number = routed.answering_number;
      record.voicemail_on_busy = routed.voicemail_on_busy;
      record.voicemail_on_no_answer = routed.voicemail_on_no_answer;
    }
    records.push_back(std::move(record));
  }
  for (const auto& stored : store_.calls().record_calls(records)) {
    if (!stored.inserted) continue;  // a repeated delivery: counted the first time
    edge_routed_.labels({to_string(stored.record.action)}).inc();
    if (stored.record.ended_at) count_end(stored.record);
  }
  return records.size();
}

std::shared_ptr<const EdgeRouteTable> CallRouter::edge_routes() {
  // Held across a store read, which gives its CPU slot back on PostgreSQL: a thread waiting
  // here gives its own back too (common/cpu_slots.hpp).
  const auto lock = lock_giving_slot_back(edge_routes_mutex_);
  const auto now = clock_.now();
  // The age on a steady clock: the domain clock has whole seconds, too coarse for the
  // refresh. A new second refreshes too, since the routes hold for `now`.
  const auto made = std::chrono::steady_clock::now();
  if (!edge_routes_ || made - edge_routes_made_ >= kEdgeRoutesRefresh ||
      now != edge_routes_->computed_at) {
    // The instant before the read: the table holds every change committed before it. Taken
    // after the read, it would claim a change committed while the read ran (a quarantine an
    // edge then still routes as active), and the SIP tests' wait for the edges' copy
    // (sip_harness.wait_for_edge_routes) would let a call through too early.
    const auto read_from = std::chrono::system_clock::now();
    auto table = build_edge_routes(store_.sources().routing_table(), now);
    table.worked_out_at = read_from;
    edge_routes_ = std::make_shared<const EdgeRouteTable>(std::move(table));
    edge_routes_made_ = made;
  }
  return edge_routes_;
}

void CallRouter::count_end(const CallRecord& record) {
  ended_.labels({to_string(record.direction), to_string(call_status(record))}).inc();
}

CallRecord CallRouter::report(const std::string& switch_call_id, const CallEvent& event) {
  const auto applied = store_.calls().apply_event(switch_call_id, event);
  account(event, applied);
  return applied.record;
}

CallRouter::BatchOutcome CallRouter::report_batch(std::span<const SwitchCallEvent> events) {
  const auto results = store_.calls().apply_events(events);
  BatchOutcome outcome;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!results[i]) {
      // No personal data in the log: the call id is the switch's own handle.
      // Info, not warning: an edge reports the 503 of every call it could not route while
      // callsightd was away, and most of those never reached callsightd.
      spdlog::info("switch event {} for call {} skipped: the switch never routed that call",
                   to_string(events[i].event.type), events[i].switch_call_id);
      unknown_call_events_.inc();
      ++outcome.unknown_calls;
      continue;
    }
    account(events[i].event, *results[i]);
    ++outcome.applied;
  }
  return outcome;
}

void CallRouter::account(const CallEvent& event, const AppliedCallEvent& applied) {
  const auto& record = applied.record;
  events_.labels({to_string(event.type)}).inc();
  if (record.ended_at && !applied.previous.ended_at) count_end(record);
  if (record.callback_id) settle_callback(record);
}

bool CallRouter::close_overdue_call(Id cdr_id, std::chrono::seconds max_call_length) {
  const auto closed = store_.calls().close_overdue_call(cdr_id, clock_.now(), max_call_length);
  if (!closed) return false;
  count_end(closed->record);
  if (closed->record.callback_id) settle_callback(closed->record);
  return true;
}

void CallRouter::settle_callback(const CallRecord& record) {
  if (call_status(record) == CallStatus::in_progress) return;
  // Answered is what connects a callback, also when its end was never reported.
  store_.callbacks().finish_attempt(*record.callback_id, record.id, record.answered_at.has_value());
}

std::vector<CallbackDial> CallRouter::claim_callbacks(int limit) {
  std::vector<CallbackDial> dials;
  const auto now = clock_.now();
  for (const auto& callback : store_.callbacks().due_callbacks(now, limit)) {
    CallRecord record;
    record.partner_id = callback.partner_id;
    record.customer_id = callback.customer_id;
    record.callback_id = callback.id;
    record.direction = CallDirection::outbound;
    record.switch_call_id =
        "callback-" + std::to_string(callback.id) + "-" + std::to_string(callback.attempts);
    record.caller = callback.requester_number;
    record.tracking_number = callback.caller_id;
    record.answering_number = callback.agent_number;
    record.action = RouteAction::forward;
    record.recorded = callback.call_recording != 0;
    record.start = now;
    const auto stored = store_.calls().record_call(record);
    callback_dials_.inc();
    dials.push_back({stored.switch_call_id, stored.id, callback.id, callback.agent_number,
                     callback.requester_number, callback.caller_id, stored.recorded});
  }
  return dials;
}

}  // namespace callsight::switching
