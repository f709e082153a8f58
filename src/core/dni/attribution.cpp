#include "core/dni/attribution.hpp"

#include "core/enum_names.hpp"
#include "core/time_format.hpp"

namespace callsight::dni {
namespace {

constexpr EnumNames<NoVisit, 4> kNoVisitNames{{
    {NoVisit::number_never_assigned, "number_never_assigned"},
    {NoVisit::lease_and_grace_over, "lease_and_grace_over"},
    {NoVisit::shown_as_fallback, "shown_as_fallback"},
    {NoVisit::static_source, "static_source"},
}};

bool names_visit_at(const Assignment& a, const PoolTiming& timing, TimePoint called_at) {
  const auto state = hold_at(a, timing, called_at).state;
  return a.assigned_at <= called_at && (state == HoldState::leased || state == HoldState::grace);
}

Attribution unmatched(NoVisit why) {
  Attribution verdict;
  verdict.no_visit = why;
  return verdict;
}

// When the grace of the latest hand-out begun before the call ended; none if there is none.
std::optional<TimePoint> last_grace_end(const std::vector<Assignment>& history,
                                        const PoolTiming& timing, TimePoint called_at) {
  const Assignment* latest = nullptr;
  for (const auto& a : history) {
    if (a.assigned_at <= called_at && (!latest || a.assigned_at > latest->assigned_at)) latest = &a;
  }
  if (!latest) return std::nullopt;
  return hold_at(*latest, timing, called_at).grace_ends;
}

std::string matched_text(const Attribution& verdict, const PoolTiming& timing,
                         TimePoint called_at) {
  const Assignment& a = *verdict.matched;
  std::string text = "held by session " + a.session_id + " since " + format_utc(a.assigned_at) +
                     ", last heartbeat " + format_utc(a.last_seen_at) + ", called " +
                     format_utc(called_at);
  text +=
      verdict.state == HoldState::leased
          ? " (lease)"
          : " (grace: lease ended " + format_utc(hold_at(a, timing, called_at).lease_ends) + ")";
  if (!a.consent) text += "; no consent, so the session is this page view";
  if (verdict.ambiguous) text += "; several holds overlapped the call, the latest was chosen";
  return text;
}

std::string no_visit_text(const Attribution& verdict) {
  switch (*verdict.no_visit) {
    case NoVisit::number_never_assigned:
      return "no visit: the number had not been shown to any visitor before the call";
    case NoVisit::lease_and_grace_over:
      return "no visit: lease and grace of the last visitor shown the number ended " +
             format_utc(*verdict.last_ended);
    case NoVisit::shown_as_fallback:
      return "no visit: the number was shown as the pool's fallback, which many visitors share";
    case NoVisit::static_source:
      return "no visit: the number belongs to a static source";
  }
  return "no visit";
}

}  // namespace

Attribution attribute_call(const std::vector<Assignment>& history, const PoolTiming& timing,
                           TimePoint called_at) {
  Attribution verdict;
  int candidates = 0;
  for (const auto& a : history) {
    if (!names_visit_at(a, timing, called_at)) continue;
    ++candidates;
    if (!verdict.matched || a.assigned_at > verdict.matched->assigned_at) verdict.matched = a;
  }
  if (verdict.matched && verdict.matched->shown_as_fallback) {
    return unmatched(NoVisit::shown_as_fallback);
  }
  if (verdict.matched) {
    verdict.state = hold_at(*verdict.matched, timing, called_at).state;
    verdict.ambiguous = candidates > 1;
    return verdict;
  }
  const auto ended = last_grace_end(history, timing, called_at);
  if (!ended) return unmatched(NoVisit::number_never_assigned);
  verdict = unmatched(NoVisit::lease_and_grace_over);
  verdict.last_ended = ended;
  return verdict;
}

std::string_view name_of(NoVisit reason) { return callsight::name_of(kNoVisitNames, reason); }

std::string_view reason_name(const Attribution& attribution) {
  if (!attribution.matched) return name_of(*attribution.no_visit);
  return attribution.state == HoldState::grace ? "within_grace" : "matched";
}

Attribution static_source_call() { return unmatched(NoVisit::static_source); }

std::string explain(const Attribution& attribution, const PoolTiming& timing, TimePoint called_at) {
  return attribution.matched ? matched_text(attribution, timing, called_at)
                             : no_visit_text(attribution);
}

}  // namespace callsight::dni
