#pragma once

#include <chrono>
#include <optional>

// Which node handles a finished call when several share rtpengine's spool (docs/recordings.md,
// "Where recordings live"): the one that claims the call's spool entry first. A claim lapses
// when it is older than any conversion takes, so the entry of a node that stopped (a crash, a
// hang) is taken over; until then the other nodes leave the entry alone rather than convert it
// a second time.
namespace callsight::media {

enum class SpoolClaimStep {
  claim,      // nobody claimed the entry: try to (of the nodes that try, one succeeds)
  leave,      // another node holds it and may still be converting it: not this pass
  take_over,  // its claim lapsed, its node is gone: break the claim, then try to claim
};

// How long a claim holds: longer than a conversion may take (lame's timeout, 10 minutes, and
// the mix before it), so a node that is still working never loses its claim.
inline constexpr std::chrono::seconds kSpoolClaimLapse = std::chrono::minutes(15);

// What a node does with an entry whose claim was written `claim_age` ago (nullopt: no claim).
// An age below zero (the file's time set by another clock, a shared mount's server) is a claim
// just made.
SpoolClaimStep spool_claim_step(std::optional<std::chrono::seconds> claim_age,
                                std::chrono::seconds lapse);

}  // namespace callsight::media
