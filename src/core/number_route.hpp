#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/call_record.hpp"
#include "core/clock.hpp"
#include "core/source.hpp"
#include "core/source_settings.hpp"

namespace callsight {

// The one definition of where a call to a tracking number goes (docs/architecture.md, "What core
// computes for an edge"). callsightd routes live calls with number_route_at; an edge keeps
// number_route_with_validity's answer for each number in use, so both follow these rules and
// cannot disagree.

// Who the answering party is shown as calling: the caller, or the tracking number for
// customers who want to know a call came through Callsight (freespee_caller_id).
enum class ShownCallerId { caller, tracking_number };

ShownCallerId shown_caller_id(bool show_tracking_number);

// What the switch does with a call to one tracking number, whoever calls. The caller's
// blacklisting comes on top (blacklisted_caller_route) unless the number refuses every call.
struct NumberRoute {
  RouteAction action = RouteAction::reject;
  int sip_status = 0;            // reject: 404 (number not in use) or 403 (blacklisted caller)
  std::string reason;            // reject: the SIP reason phrase
  bool quarantined = false;      // reject: the number is in quarantine
  std::string answering_number;  // forward: E.164
  ShownCallerId caller_id = ShownCallerId::caller;  // forward: what the answering party sees
  bool record = false;                              // forward and voicemail
  bool voicemail_on_busy = false;                   // forward
  bool voicemail_on_no_answer = false;              // forward
  // forward: the caller hears the recording notice before the call is forwarded.
  bool notice = false;
  // forward: the answering party hears this source's whisper (its name) when it answers.
  std::optional<Id> whisper_source;
  // voicemail, and forward with a voicemail diversion: the uploaded greeting the caller hears
  // when the voicemail platform answers (voicemail_greeting); none: the default greeting.
  std::optional<Id> greeting;

  bool operator==(const NumberRoute&) const = default;
};

// A tracking number held by a static source or a pool, with everything its route follows
// from. The references must outlive the calls given this.
struct HeldNumber {
  std::string_view number;  // the tracking number, E.164
  const Source& source;     // the static source or the pool holding it
  const EffectiveSourceSettings& settings;
  int quarantine_days = 0;            // the partner's
  std::string_view time_zone;         // the partner's IANA zone: alt_numbers follow its clock
  bool show_tracking_number = false;  // the customer's freespee_caller_id
  bool whisper = false;               // the customer's whisper
  // Removed from its pool: quarantined whatever the pool's status, until its quarantine ends
  // (when known), when the pool lets the number go.
  bool removed_from_pool = false;
  std::optional<TimePoint> removed_quarantine_ends;
};

// The route of a call to the number at `now`: refused with 404 unless the number's status is
// active; else voicemail when the settings divert every call or an alt_numbers rule says
// voicemail; else forwarded to the answering number the rules give at `now` on the partner's
// wall clock, with the settings' recording and voicemail diversions.
NumberRoute number_route_at(const HeldNumber& held, TimePoint now);

// The first instant in (now, until] at which the number's route or status changes by itself,
// as time passes with the data unchanged: an alt_numbers rule's from or to minute on the
// partner's wall clock (or a DST jump across one) that changes the answer, or an activation,
// reservation, quarantine or removal that starts or ends. nullopt when none does.
std::optional<TimePoint> next_route_change(const HeldNumber& held, TimePoint now, TimePoint until);

// An edge's copy of a route is recomputed at the latest this long after it was computed.
inline constexpr std::chrono::seconds kRouteValidityHorizon = std::chrono::days(1);

// The number's next refresh instant after `now`: on a grid of kRouteValidityHorizon steps
// offset by a time of day derived from the number alone, so it is the same for every `now`
// before it, on every node, and a day's copies do not all run out at one instant.
TimePoint route_refresh_after(std::string_view number, TimePoint now);

// The route at `now` and how long it holds: until its next change or the number's refresh
// instant, whichever comes first. Every node computes the same valid_until for any `now`
// before it, so edges can compare copies.
struct TimedNumberRoute {
  NumberRoute route;
  TimePoint valid_until;
};

TimedNumberRoute number_route_with_validity(const HeldNumber& held, TimePoint now);

// The prompts of a forwarded call (docs/recordings.md, "Notice and whisper"): the recording
// notice when the call is recorded and its campaign plays the notice; the whisper, naming the
// source, when the customer wants whispers.
bool plays_recording_notice(bool recorded, int recording_notice);
std::optional<Id> whisper_source(bool customer_whisper, Id source_id);

// The greeting of a call that may reach voicemail (docs/recordings.md, "Greetings"): the
// effective vm_greeting_id (the source's, else its campaign's: effective_settings) when the
// route is voicemail or forwards with a diversion on busy or no answer; none otherwise, so
// routes that never reach voicemail do not change when a greeting does.
std::optional<Id> voicemail_greeting(RouteAction action, bool voicemail_on_busy,
                                     bool voicemail_on_no_answer, std::optional<Id> vm_greeting_id);

// Whether the caller's blacklisting matters: a number that refuses every call refuses a
// blacklisted caller for that reason first.
bool screens_callers(const NumberRoute& number_route);

// A caller on the customer's blacklist is refused with 403, wherever the number would send
// the call.
NumberRoute blacklisted_caller_route();

}  // namespace callsight
