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

// The transitions a partner asks for (docs/api.md, "Source lifecycle"). Each one reads the
// status at `now`, changes `lifecycle` only when the transition is allowed from it, and says
// which status it started from, so the caller can name it when refusing.
struct Transition {
  bool allowed = false;
  SourceStatus from = SourceStatus::active;
};

// Whether the source may change at all: an archived one never does (its number may already
// belong to another source).
Transition may_change(const SourceLifecycle& lifecycle, TimePoint now, int quarantine_days);

// PUT status=active: a reserved source is activated now; an upcoming or active one stays as
// it is. Refused from quarantined and archived (reactivate is for the former).
Transition activate(SourceLifecycle& lifecycle, TimePoint now, int quarantine_days);

// DELETE: the source enters quarantine now; a quarantined one stays as it is. Refused once
// archived.
Transition quarantine(SourceLifecycle& lifecycle, TimePoint now, int quarantine_days);

// Only a quarantined source is reactivated: deletion and reservation are forgotten, an
// expiry that has passed is removed, and a future activation moves to now.
Transition reactivate(SourceLifecycle& lifecycle, TimePoint now, int quarantine_days);

// Extending sets a later expiry (`expire` as given, taking effect at `ends`) and forgets a
// deletion, so a quarantined source comes back. Allowed from upcoming, active and
// quarantined; the new end must lie after now, the activation and the current end.
enum class Extension { extended, not_extendable, not_later };
struct ExtendOutcome {
  Extension result = Extension::extended;
  SourceStatus from = SourceStatus::active;
};
ExtendOutcome extend(SourceLifecycle& lifecycle, TimePoint expire, TimePoint ends, TimePoint now,
                     int quarantine_days);

}  // namespace callsight
