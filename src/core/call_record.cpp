#include "core/call_record.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "common/utf8.hpp"
#include "core/enum_names.hpp"

namespace callsight {
namespace {

constexpr std::array<std::pair<CallDirection, std::string_view>, 2> kDirectionNames = {{
    {CallDirection::inbound, "inbound"},
    {CallDirection::outbound, "outbound"},
}};

constexpr std::array<std::pair<RouteAction, std::string_view>, 3> kActionNames = {{
    {RouteAction::forward, "forward"},
    {RouteAction::voicemail, "voicemail"},
    {RouteAction::reject, "reject"},
}};

constexpr std::array<std::pair<CallStatus, std::string_view>, 8> kStatusNames = {{
    {CallStatus::in_progress, "in_progress"},
    {CallStatus::answered, "answered"},
    {CallStatus::no_answer, "no_answer"},
    {CallStatus::busy, "busy"},
    {CallStatus::failed, "failed"},
    {CallStatus::rejected, "rejected"},
    {CallStatus::voicemail, "voicemail"},
    {CallStatus::unknown, "unknown"},
}};

constexpr std::array<std::pair<CallEventType, std::string_view>, 5> kEventTypeNames = {{
    {CallEventType::ringing, "ringing"},
    {CallEventType::answered, "answered"},
    {CallEventType::voicemail, "voicemail"},
    {CallEventType::failed, "failed"},
    {CallEventType::hangup, "hangup"},
}};

// How an event's instant relates to the instant a fact already has.
enum class Order { earlier, same, later };

Order order_of(TimePoint at, const std::optional<TimePoint>& current) {
  if (!current || at < *current) return Order::earlier;
  return at == *current ? Order::same : Order::later;
}

void keep_earliest(std::optional<TimePoint>& slot, TimePoint at) {
  if (order_of(at, slot) == Order::earlier) slot = at;
}

// Two reports of one fact at the same instant must give the same record in either order,
// so their details are joined by a rule that ignores order: the larger value wins (an
// empty string or an absent status is the smallest).
void join(std::string& current, const std::string& reported) {
  current = std::max(current, reported);
}
void join(std::optional<int>& current, const std::optional<int>& reported) {
  current = std::max(current, reported);
}

void apply_answered(CallRecord& record, const CallEvent& event) {
  // An event that does not name who picked up leaves the routed answering number. The
  // result is order-free as long as a switch either always or never names the answering
  // party of a call (its retransmissions carry the same facts).
  switch (order_of(event.at, record.answered_at)) {
    case Order::earlier:
      record.answered_at = event.at;
      if (!event.answering_number.empty()) record.answering_number = event.answering_number;
      break;
    case Order::same:
      if (!event.answering_number.empty()) join(record.answering_number, event.answering_number);
      break;
    case Order::later:
      break;
  }
}

// failed and hangup share one fact, the end of the call: the earliest end event gives
// ended_at and the details (failure status, who hung up, why); a later one adds nothing,
// so a 487 reported after the caller's hangup does not change how the call ended. The
// sweep's end is only a guess, so any real end replaces it.
void apply_end(CallRecord& record, const CallEvent& event) {
  const bool failed = event.type == CallEventType::failed;
  const std::optional<int> failure_status = failed ? event.sip_status : std::nullopt;
  const std::string hangup_by = failed ? std::string() : event.hangup_by;
  const auto order = record.end_unknown ? Order::earlier : order_of(event.at, record.ended_at);
  record.end_unknown = false;
  switch (order) {
    case Order::earlier:
      record.ended_at = event.at;
      record.failure_sip_status = failure_status;
      record.hangup_by = hangup_by;
      record.hangup_reason = event.reason;
      break;
    case Order::same:
      join(record.failure_sip_status, failure_status);
      join(record.hangup_by, hangup_by);
      join(record.hangup_reason, event.reason);
      break;
    case Order::later:
      break;
  }
}

constexpr std::array kBusySipStatuses = {486, 600};
constexpr std::array kNoAnswerSipStatuses = {408, 480, 487};

bool is_busy(int sip_status) {
  return std::ranges::find(kBusySipStatuses, sip_status) != kBusySipStatuses.end();
}

bool is_no_answer(int sip_status) {
  return std::ranges::find(kNoAnswerSipStatuses, sip_status) != kNoAnswerSipStatuses.end();
}

}  // namespace

std::string_view to_string(CallDirection direction) { return name_of(kDirectionNames, direction); }
std::string_view to_string(RouteAction action) { return name_of(kActionNames, action); }
std::string_view to_string(CallStatus status) { return name_of(kStatusNames, status); }
std::string_view to_string(CallEventType type) { return name_of(kEventTypeNames, type); }

std::optional<CallDirection> parse_call_direction(std::string_view text) {
  return value_of(kDirectionNames, text);
}
std::optional<RouteAction> parse_route_action(std::string_view text) {
  return value_of(kActionNames, text);
}
std::optional<CallStatus> parse_call_status(std::string_view text) {
  return value_of(kStatusNames, text);
}
std::optional<CallEventType> parse_call_event_type(std::string_view text) {
  return value_of(kEventTypeNames, text);
}

void apply_call_event(CallRecord& record, const CallEvent& event) {
  switch (event.type) {
    case CallEventType::ringing:
      keep_earliest(record.ringing_at, event.at);
      break;
    case CallEventType::answered:
      apply_answered(record, event);
      break;
    case CallEventType::voicemail:
      keep_earliest(record.voicemail_at, event.at);
      break;
    case CallEventType::failed:
    case CallEventType::hangup:
      apply_end(record, event);
      break;
  }
}

void reject_call(CallRecord& record, int sip_status, std::string reason) {
  record.action = RouteAction::reject;
  record.reject_sip_status = sip_status;
  record.reject_reason = std::move(reason);
  record.ended_at = record.start;
  record.failure_sip_status = sip_status;
}

bool is_overdue(const CallRecord& record, TimePoint now, std::chrono::seconds max_call_length) {
  return !record.ended_at && now - record.start >= max_call_length;
}

void close_as_unknown(CallRecord& record) {
  TimePoint last_alive = record.start;
  for (const auto& instant : {record.ringing_at, record.answered_at, record.voicemail_at}) {
    if (instant) last_alive = std::max(last_alive, *instant);
  }
  record.ended_at = last_alive;
  record.end_unknown = true;
  record.failure_sip_status.reset();
  record.hangup_by.clear();
  record.hangup_reason.clear();
}

// A voicemail call is one whatever SIP code ends it (its leg to the voicemail platform may
// fail or hang up); only a rejection or an end nobody reported say otherwise.
std::span<const int> busy_sip_statuses() { return kBusySipStatuses; }
std::span<const int> no_answer_sip_statuses() { return kNoAnswerSipStatuses; }

CallStatus call_status(const CallRecord& record) {
  if (record.action == RouteAction::reject) return CallStatus::rejected;
  if (record.end_unknown) return CallStatus::unknown;
  if (record.action == RouteAction::voicemail || record.voicemail_at) {
    return CallStatus::voicemail;
  }
  if (record.answered_at) return CallStatus::answered;
  if (!record.ended_at) return CallStatus::in_progress;
  const auto& failure = record.failure_sip_status;
  if (failure && is_busy(*failure)) {
    return record.voicemail_on_busy ? CallStatus::voicemail : CallStatus::busy;
  }
  if (!failure || is_no_answer(*failure)) {
    return record.voicemail_on_no_answer ? CallStatus::voicemail : CallStatus::no_answer;
  }
  return CallStatus::failed;
}

long long call_duration_seconds(const CallRecord& record) {
  if (!record.answered_at || !record.ended_at) return 0;
  // Clocks of different switch nodes may disagree by a little: never a negative duration.
  return std::max<long long>(0, (*record.ended_at - *record.answered_at).count());
}

std::string mask_caller(std::string_view caller) {
  constexpr std::size_t kMasked = 3;
  const auto length = utf8::code_points(caller);
  if (length <= kMasked) return "xxx";
  return std::string(utf8::first_code_points(caller, length - kMasked)) + "xxx";
}

AttributionFields attribution_fields(const std::optional<CallAttribution>& attribution) {
  const CallAttribution none;
  const auto& a = attribution ? *attribution : none;
  const auto known = [&](const std::string& value) {
    return attribution ? std::optional(value) : std::nullopt;
  };
  const auto of_visit = [&](const std::string& value) {
    return a.session_id ? std::optional(value) : std::nullopt;
  };
  return {
      {"attribution", known(a.reason)},
      {"attribution_text", known(a.explanation)},
      {"dni_session_id", a.session_id},
      {"landing_url", of_visit(a.landing_url)},
      {"referrer", of_visit(a.referrer)},
      {"utm_source", of_visit(a.utm.source)},
      {"utm_medium", of_visit(a.utm.medium)},
      {"utm_campaign", of_visit(a.utm.campaign)},
      {"utm_term", of_visit(a.utm.term)},
      {"utm_content", of_visit(a.utm.content)},
      {"gclid", of_visit(a.click_ids.gclid)},
      {"gbraid", of_visit(a.click_ids.gbraid)},
      {"wbraid", of_visit(a.click_ids.wbraid)},
      {"fbclid", of_visit(a.click_ids.fbclid)},
      {"msclkid", of_visit(a.click_ids.msclkid)},
      {"ga_client_id", a.session_id ? a.ga_client_id : std::nullopt},
  };
}

}  // namespace callsight
