#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/dni/visit.hpp"
#include "core/types.hpp"

namespace callsight {

enum class CallDirection { inbound, outbound };

// What the switch was told to do when the call arrived.
enum class RouteAction { forward, voicemail, reject };

// How a call ended (our extension beside Freespee's answered 0/1); in_progress until it has,
// unknown when its end never arrived and the sweep closed it.
enum class CallStatus {
  in_progress,
  answered,
  no_answer,
  busy,
  failed,
  rejected,
  voicemail,
  unknown
};

std::string_view to_string(CallDirection direction);
std::string_view to_string(RouteAction action);
std::string_view to_string(CallStatus status);
std::optional<CallDirection> parse_call_direction(std::string_view text);
std::optional<RouteAction> parse_route_action(std::string_view text);
std::optional<CallStatus> parse_call_status(std::string_view text);

// Which web visit made an inbound call, or why none did (docs/dynamic-numbers.md), decided
// by dni::attribute_call when the call is recorded. The visit's facts are copied from its
// session, so the record keeps them as they were when the call came.
struct CallAttribution {
  std::string reason;                     // dni::reason_name
  std::string explanation;                // dni::explain's sentence
  std::optional<std::string> session_id;  // the visit's session; none without a visit
  std::string landing_url;
  std::string referrer;
  dni::UtmValues utm;
  dni::ClickIds click_ids;
  std::optional<std::string> ga_client_id;

  bool operator==(const CallAttribution&) const = default;
};

// A call record (CDR). Created when the switch asks where a call goes, completed by the
// switch's events. Status is never stored: call_status() derives it from these facts, so
// events that arrive twice or out of order give the same record.
//
// Inbound: caller → tracking number → answering number. Outbound (a callback): the
// platform dials the customer's agent (answering_number) and connects the requester
// (caller), presenting tracking_number as the caller id.
struct CallRecord {
  Id id = 0;
  Id partner_id = 0;
  Id customer_id = 0;
  std::optional<Id> source_id;    // inbound: the source holding the tracking number
  std::optional<Id> campaign_id;  // that source's campaign when the call arrived
  std::optional<Id> callback_id;  // outbound: the callback this call attempts
  CallDirection direction = CallDirection::inbound;
  std::string switch_call_id;    // the switch's id for the call (SIP Call-ID); unique
  std::string caller;            // wire "anum": E.164 when it parses, else as received
  std::string tracking_number;   // wire "bnum", E.164
  std::string answering_number;  // wire "cnum": where the call went, E.164; empty if nowhere
  RouteAction action = RouteAction::forward;
  std::optional<int> reject_sip_status;  // with action reject
  std::string reject_reason;
  bool quarantined = false;  // the tracking number's source was in quarantine
  bool recorded = false;     // the switch was asked to record
  // Diversion the route decision asked for, kept so the final status follows it.
  bool voicemail_on_busy = false;
  bool voicemail_on_no_answer = false;
  TimePoint start;
  std::optional<TimePoint> ringing_at;
  std::optional<TimePoint> answered_at;
  std::optional<TimePoint> voicemail_at;  // the switch diverted the call to voicemail
  std::optional<TimePoint> ended_at;      // hangup, final failure, rejection or the sweep
  std::optional<int> failure_sip_status;  // the final failure's SIP status (486, 487, 408...)
  // The switch never reported the end: the sweep closed the call (close_as_unknown), and
  // the first real end event to arrive replaces that guess.
  bool end_unknown = false;
  std::string hangup_by;      // "caller" or "callee" when the switch says
  std::string hangup_reason;  // e.g. a BYE's Reason header, as received
  // Inbound calls recorded since schema v17; calls to static sources say they are static.
  std::optional<CallAttribution> attribution;
  // The call's recording (core/recording.hpp), once it was picked up: its public UUID.
  std::optional<std::string> recording_id;

  bool operator==(const CallRecord&) const = default;
};

enum class CallEventType { ringing, answered, voicemail, failed, hangup };
std::string_view to_string(CallEventType type);
std::optional<CallEventType> parse_call_event_type(std::string_view text);

// What the switch reports about a call in progress.
struct CallEvent {
  CallEventType type = CallEventType::ringing;
  TimePoint at;                   // when the switch saw it happen
  std::optional<int> sip_status;  // failed: the final status; others: informative
  std::string answering_number;   // answered: who picked up (E.164), when known
  std::string hangup_by;          // hangup
  std::string reason;             // hangup / failed
};

// Records the event's facts in the record. Each fact belongs to one event type and the
// earliest instant wins, so applying the same events in any order, any number of times,
// gives the same record. An end event corrects a call the sweep closed (end_unknown),
// whatever its instant.
void apply_call_event(CallRecord& record, const CallEvent& event);

// A call the switch is told to reject ends when it is routed: the rejection is its final
// SIP status (403, 404), so it needs no event from the switch to end.
void reject_call(CallRecord& record, int sip_status, std::string reason);

// The call is still open after the longest a call may last: its end event was lost.
bool is_overdue(const CallRecord& record, TimePoint now, std::chrono::seconds max_call_length);

// Ends an overdue call with status unknown. Its end is the last instant the call was known
// to be alive (answer, ringing, voicemail divert or start), so no talk time is made up.
void close_as_unknown(CallRecord& record);

// The status the facts add up to (see docs/api.md, "CDR status").
CallStatus call_status(const CallRecord& record);

// The final SIP statuses that mean the callee was busy, and those that mean nobody picked up
// (timeouts, temporarily unavailable, the callee's 487 after the caller's CANCEL), for the
// store's SQL form of call_status().
std::span<const int> busy_sip_statuses();
std::span<const int> no_answer_sip_statuses();

// Seconds from answer to end; 0 while unanswered or not yet ended.
long long call_duration_seconds(const CallRecord& record);

// The attribution as the API and webhooks show it (docs/api.md, extended CDRs): `attribution`
// (the reason), `attribution_text`, `dni_session_id`, then the visit's landing_url, referrer,
// utm_*, click ids and ga_client_id; null where the record has no attribution or no visit.
using AttributionFields = std::vector<std::pair<std::string_view, std::optional<std::string>>>;
AttributionFields attribution_fields(const std::optional<CallAttribution>& attribution);

// The caller as partners see it: the last three characters (code points, since a caller
// that is not a number may be any text) replaced by "xxx" ("+46701234567" → "+46701234xxx",
// "abc€1" → "abxxx"); shorter values become "xxx".
std::string mask_caller(std::string_view caller);

}  // namespace callsight
