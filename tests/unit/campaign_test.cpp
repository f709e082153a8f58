#include "core/campaign.hpp"

#include <gtest/gtest.h>

#include "core/time_format.hpp"

namespace callsight {
namespace {

TimePoint at(const char* text) { return parse_utc(text).value(); }

Campaign running(const char* from, std::optional<const char*> until = std::nullopt) {
  Campaign c;
  c.timestamp = at(from);
  if (until) c.expires_at = at(*until);
  return c;
}

TEST(CampaignState, WireNumbersFollowTheReference) {
  EXPECT_EQ(static_cast<int>(CampaignState::active), 0);
  EXPECT_EQ(static_cast<int>(CampaignState::upcoming), 1);
  EXPECT_EQ(static_cast<int>(CampaignState::archived), 2);
}

TEST(CampaignState, UpcomingUntilTheTimestampThenActive) {
  const auto c = running("2025-03-01 12:00:00");
  EXPECT_EQ(derive_campaign_state(c, at("2025-03-01 11:59:59")), CampaignState::upcoming);
  EXPECT_EQ(derive_campaign_state(c, at("2025-03-01 12:00:00")), CampaignState::active);
}

TEST(CampaignState, WithoutExpiryItStaysActive) {
  const auto c = running("2025-03-01 12:00:00");
  EXPECT_EQ(derive_campaign_state(c, at("2099-01-01 00:00:00")), CampaignState::active);
}

TEST(CampaignState, ArchivedFromTheMomentExpiryTakesEffect) {
  const auto c = running("2025-03-01 00:00:00", "2025-04-01 22:00:00");
  EXPECT_EQ(derive_campaign_state(c, at("2025-04-01 21:59:59")), CampaignState::active);
  EXPECT_EQ(derive_campaign_state(c, at("2025-04-01 22:00:00")), CampaignState::archived);
}

TEST(CampaignState, ExpiryWinsOverAFutureStart) {
  const auto c = running("2030-01-01 00:00:00", "2020-01-01 00:00:00");
  EXPECT_EQ(derive_campaign_state(c, at("2025-01-01 00:00:00")), CampaignState::archived);
}

}  // namespace
}  // namespace callsight
