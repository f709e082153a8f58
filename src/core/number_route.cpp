#include "core/number_route.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/alt_number_rules.hpp"
#include "core/local_time.hpp"
#include "core/source_lifecycle.hpp"

namespace callsight {
namespace {

SourceStatus status_at(const HeldNumber& held, TimePoint t) {
  if (held.removed_from_pool) {
    const bool let_go = held.removed_quarantine_ends && t >= *held.removed_quarantine_ends;
    return let_go ? SourceStatus::archived : SourceStatus::quarantined;
  }
  return derive_status(held.source.lifecycle, t, held.quarantine_days);
}

NumberRoute route_for(const HeldNumber& held, SourceStatus status, TimePoint t) {
  NumberRoute route;
  route.caller_id = shown_caller_id(held.show_tracking_number);
  if (status != SourceStatus::active) {
    route.action = RouteAction::reject;
    route.sip_status = 404;
    route.reason = "Not In Use";
    route.quarantined = status == SourceStatus::quarantined;
    return route;
  }
  route.record = held.settings.call_recording != 0;
  if (held.settings.vm_divert_all) {
    route.action = RouteAction::voicemail;
    route.greeting = voicemail_greeting(route.action, route.voicemail_on_busy,
                                        route.voicemail_on_no_answer, held.settings.vm_greeting_id);
    return route;
  }
  const auto target =
      answering_target_at(held.source.answering_number, held.source.alt_numbers, t, held.time_zone);
  if (target.voicemail) {
    route.action = RouteAction::voicemail;
    route.greeting = voicemail_greeting(route.action, route.voicemail_on_busy,
                                        route.voicemail_on_no_answer, held.settings.vm_greeting_id);
    return route;
  }
  route.action = RouteAction::forward;
  route.answering_number = target.answering_number;
  route.voicemail_on_busy = held.settings.vm_divert_busy != 0;
  route.voicemail_on_no_answer = held.settings.vm_divert_noanswer != 0;
  route.notice = plays_recording_notice(route.record, held.settings.recording_notice);
  route.whisper_source = whisper_source(held.whisper, held.source.id);
  route.greeting = voicemail_greeting(route.action, route.voicemail_on_busy,
                                      route.voicemail_on_no_answer, held.settings.vm_greeting_id);
  return route;
}

// FNV-1a: a hash every node computes alike (std::hash promises no such thing).
std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// The instants in (now, until] at which the number's status or route may change: lifecycle
// instants, and the wall-clock marks of its alt_numbers rules when a rule may answer.
std::vector<TimePoint> possible_changes(const HeldNumber& held, TimePoint now, TimePoint until) {
  const auto& lifecycle = held.source.lifecycle;
  std::vector<std::optional<TimePoint>> instants = {lifecycle.activation, lifecycle.reserved_until,
                                                    held.removed_quarantine_ends};
  if (const auto start = quarantine_start(lifecycle)) {
    instants.push_back(start);
    instants.push_back(*start + std::chrono::days(held.quarantine_days));
  }
  std::vector<TimePoint> changes;
  for (const auto& instant : instants) {
    if (instant && *instant > now && *instant <= until) changes.push_back(*instant);
  }
  if (!held.source.alt_numbers.empty() && !held.settings.vm_divert_all) {
    std::vector<int> minutes;
    for (const auto& rule : held.source.alt_numbers) {
      minutes.push_back(rule.from_minute);
      minutes.push_back(rule.to_minute);
    }
    std::sort(minutes.begin(), minutes.end());
    minutes.erase(std::unique(minutes.begin(), minutes.end()), minutes.end());
    const auto marks = wall_clock_marks(now, until, minutes, held.time_zone);
    changes.insert(changes.end(), marks.begin(), marks.end());
  }
  std::sort(changes.begin(), changes.end());
  return changes;
}

}  // namespace

ShownCallerId shown_caller_id(bool show_tracking_number) {
  return show_tracking_number ? ShownCallerId::tracking_number : ShownCallerId::caller;
}

NumberRoute number_route_at(const HeldNumber& held, TimePoint now) {
  return route_for(held, status_at(held, now), now);
}

std::optional<TimePoint> next_route_change(const HeldNumber& held, TimePoint now, TimePoint until) {
  const auto status = status_at(held, now);
  const auto route = route_for(held, status, now);
  // A possible change may be none: a rule boundary on a weekday the rule is off, or between
  // two rules leading to the same number.
  for (const auto instant : possible_changes(held, now, until)) {
    const auto later_status = status_at(held, instant);
    if (later_status != status || route_for(held, later_status, instant) != route) {
      return instant;
    }
  }
  return std::nullopt;
}

TimePoint route_refresh_after(std::string_view number, TimePoint now) {
  const auto step = kRouteValidityHorizon.count();
  const auto offset =
      static_cast<std::int64_t>(stable_hash(number) % static_cast<std::uint64_t>(step));
  const auto since_grid = now.time_since_epoch().count() - offset;
  // Floor division, so instants before the first grid point step back as well.
  const auto steps = since_grid / step - (since_grid % step < 0 ? 1 : 0);
  return TimePoint{std::chrono::seconds{(steps + 1) * step + offset}};
}

TimedNumberRoute number_route_with_validity(const HeldNumber& held, TimePoint now) {
  const auto refresh = route_refresh_after(held.number, now);
  return {number_route_at(held, now), next_route_change(held, now, refresh).value_or(refresh)};
}

bool plays_recording_notice(bool recorded, int recording_notice) {
  return recorded && recording_notice != 0;
}

std::optional<Id> whisper_source(bool customer_whisper, Id source_id) {
  if (!customer_whisper) return std::nullopt;
  return source_id;
}

std::optional<Id> voicemail_greeting(RouteAction action, bool voicemail_on_busy,
                                     bool voicemail_on_no_answer,
                                     std::optional<Id> vm_greeting_id) {
  const bool reaches_voicemail =
      action == RouteAction::voicemail ||
      (action == RouteAction::forward && (voicemail_on_busy || voicemail_on_no_answer));
  return reaches_voicemail ? vm_greeting_id : std::nullopt;
}

bool screens_callers(const NumberRoute& number_route) {
  return number_route.action != RouteAction::reject;
}

NumberRoute blacklisted_caller_route() {
  NumberRoute route;
  route.action = RouteAction::reject;
  route.sip_status = 403;
  route.reason = "Forbidden";
  return route;
}

}  // namespace callsight
