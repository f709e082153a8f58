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

}  // namespace callsight
