#include "core/campaign.hpp"

namespace callsight {

CampaignState derive_campaign_state(const Campaign& campaign, TimePoint now) {
  if (campaign.expires_at && now >= *campaign.expires_at) return CampaignState::archived;
  if (campaign.timestamp > now) return CampaignState::upcoming;
  return CampaignState::active;
}

}  // namespace callsight
