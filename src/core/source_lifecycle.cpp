#include "core/source_lifecycle.hpp"

#include <algorithm>

namespace callsight {

std::optional<TimePoint> quarantine_start(const SourceLifecycle& lifecycle) {
  if (lifecycle.deleted_at && lifecycle.expires_at) {
    return std::min(*lifecycle.deleted_at, *lifecycle.expires_at);
  }
  return lifecycle.deleted_at ? lifecycle.deleted_at : lifecycle.expires_at;
}

SourceStatus derive_status(const SourceLifecycle& lifecycle, TimePoint now, int quarantine_days) {
  if (lifecycle.archived_at) return SourceStatus::archived;
  if (const auto start = quarantine_start(lifecycle); start && *start <= now) {
    const auto end = *start + std::chrono::days(quarantine_days);
    return now >= end ? SourceStatus::archived : SourceStatus::quarantined;
  }
  if (lifecycle.reserved_until) {
    return now >= *lifecycle.reserved_until ? SourceStatus::archived : SourceStatus::reserved;
  }
  if (lifecycle.activation > now) return SourceStatus::upcoming;
  return SourceStatus::active;
}

Transition may_change(const SourceLifecycle& lifecycle, TimePoint now, int quarantine_days) {
  const auto from = derive_status(lifecycle, now, quarantine_days);
  return {from != SourceStatus::archived, from};
}

Transition activate(SourceLifecycle& lifecycle, TimePoint now, int quarantine_days) {
  const auto from = derive_status(lifecycle, now, quarantine_days);
  if (from == SourceStatus::reserved) lifecycle.reserved_until.reset();
  return {from == SourceStatus::reserved || from == SourceStatus::active ||
              from == SourceStatus::upcoming,
          from};
}

Transition quarantine(SourceLifecycle& lifecycle, TimePoint now, int quarantine_days) {
  const auto from = derive_status(lifecycle, now, quarantine_days);
  if (from == SourceStatus::archived) return {false, from};
  if (from != SourceStatus::quarantined) lifecycle.deleted_at = now;
  return {true, from};
}

Transition reactivate(SourceLifecycle& lifecycle, TimePoint now, int quarantine_days) {
  const auto from = derive_status(lifecycle, now, quarantine_days);
  if (from != SourceStatus::quarantined) return {false, from};
  lifecycle.deleted_at.reset();
  if (lifecycle.expires_at && *lifecycle.expires_at <= now) {
    lifecycle.expire.reset();
    lifecycle.expires_at.reset();
  }
  lifecycle.reserved_until.reset();
  lifecycle.activation = std::min(lifecycle.activation, now);
  return {true, from};
}

ExtendOutcome extend(SourceLifecycle& lifecycle, TimePoint expire, TimePoint ends, TimePoint now,
                     int quarantine_days) {
  const auto from = derive_status(lifecycle, now, quarantine_days);
  if (from != SourceStatus::active && from != SourceStatus::upcoming &&
      from != SourceStatus::quarantined) {
    return {Extension::not_extendable, from};
  }
  if (ends <= now || ends <= lifecycle.activation ||
      (lifecycle.expires_at && ends <= *lifecycle.expires_at)) {
    return {Extension::not_later, from};
  }
  lifecycle.expire = expire;
  lifecycle.expires_at = ends;
  lifecycle.deleted_at.reset();
  return {Extension::extended, from};
}

}  // namespace callsight
