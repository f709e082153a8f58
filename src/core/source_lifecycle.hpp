#pragma once

#include <optional>

#include "core/source.hpp"

namespace callsight {

// When the source entered (or will enter) quarantine: deletion or expiry, whichever first.
std::optional<TimePoint> quarantine_start(const SourceLifecycle& lifecycle);

// The status a source has at `now`. This is the single definition of the lifecycle; the
// store mirrors it in SQL for filtering and its tests check the two agree.
//   archived_at set                              -> archived
//   quarantine started, quarantine_days passed   -> archived
//   quarantine started                           -> quarantined
//   reserved_until set and passed                -> archived (never activated: released)
//   reserved_until set                           -> reserved
//   activation in the future                     -> upcoming
//   otherwise                                    -> active
SourceStatus derive_status(const SourceLifecycle& lifecycle, TimePoint now, int quarantine_days);

}  // namespace callsight
