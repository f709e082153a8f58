#include "core/media/spool_claim.hpp"

namespace callsight::media {

SpoolClaimStep spool_claim_step(std::optional<std::chrono::seconds> claim_age,
                                std::chrono::seconds lapse) {
  if (!claim_age) return SpoolClaimStep::claim;
  return *claim_age >= lapse ? SpoolClaimStep::take_over : SpoolClaimStep::leave;
}

}  // namespace callsight::media
