#include "core/source_settings.hpp"

#include <gtest/gtest.h>

namespace callsight {
namespace {

Campaign campaign_with_everything_on() {
  Campaign c;
  c.notify_on_missed_call = 1;
  c.notify_on_answered_call = 1;
  c.notify_on_new_voicemail = 1;
  c.vm_divert_all = 1;
  c.vm_divert_busy = 1;
  c.vm_divert_noanswer = 1;
  c.call_recording = 1;
  c.vm_greeting_id = 7;
  return c;
}

TEST(SourceSettings, WithoutCampaignTheSourceAloneCounts) {
  Source s;
  s.notify_on_missed_call = 1;
  s.vm_divert_busy = 1;
  s.vm_greeting_id = 3;
  const auto e = effective_settings(s, nullptr);
  EXPECT_EQ(e.notify_on_missed_call, 1);
  EXPECT_EQ(e.vm_divert_busy, 1);
  EXPECT_EQ(e.notify_on_new_voicemail, 0);
  EXPECT_EQ(e.vm_divert_all, 0);
  EXPECT_EQ(e.notify_on_answered_call, 0);
  EXPECT_EQ(e.call_recording, 0);
  EXPECT_EQ(e.vm_greeting_id, 3);
}

TEST(SourceSettings, CampaignValuesAreTheDefaultsOfAnUnsetSource) {
  const auto c = campaign_with_everything_on();
  const auto e = effective_settings(Source{}, &c);
  EXPECT_EQ(e.notify_on_missed_call, 1);
  EXPECT_EQ(e.notify_on_answered_call, 1);
  EXPECT_EQ(e.notify_on_new_voicemail, 1);
  EXPECT_EQ(e.vm_divert_all, 1);
  EXPECT_EQ(e.vm_divert_busy, 1);
  EXPECT_EQ(e.vm_divert_noanswer, 1);
  EXPECT_EQ(e.call_recording, 1);
  EXPECT_EQ(e.vm_greeting_id, 7);
}

TEST(SourceSettings, ASourceFlagOfOneWinsOverACampaignZero) {
  const Campaign c;  // everything off, no greeting
  Source s;
  s.notify_on_missed_call = 1;
  s.notify_on_new_voicemail = 1;
  s.vm_divert_all = 1;
  s.vm_divert_busy = 1;
  s.vm_divert_noanswer = 1;
  const auto e = effective_settings(s, &c);
  EXPECT_EQ(e.notify_on_missed_call, 1);
  EXPECT_EQ(e.notify_on_new_voicemail, 1);
  EXPECT_EQ(e.vm_divert_all, 1);
  EXPECT_EQ(e.vm_divert_busy, 1);
  EXPECT_EQ(e.vm_divert_noanswer, 1);
  EXPECT_FALSE(e.vm_greeting_id.has_value());
}

TEST(SourceSettings, ASourceZeroCannotSwitchOffWhatTheCampaignSwitchesOn) {
  const auto c = campaign_with_everything_on();
  Source s;
  s.vm_divert_all = 0;
  EXPECT_EQ(effective_settings(s, &c).vm_divert_all, 1);
}

TEST(SourceSettings, FlagsAreDecidedOneByOne) {
  Campaign c;
  c.vm_divert_noanswer = 1;
  Source s;
  s.notify_on_missed_call = 1;
  const auto e = effective_settings(s, &c);
  EXPECT_EQ(e.notify_on_missed_call, 1);
  EXPECT_EQ(e.vm_divert_noanswer, 1);
  EXPECT_EQ(e.vm_divert_all, 0);
  EXPECT_EQ(e.vm_divert_busy, 0);
}

TEST(SourceSettings, TheSourcesGreetingWinsOverTheCampaigns) {
  const auto c = campaign_with_everything_on();
  Source s;
  s.vm_greeting_id = 11;
  EXPECT_EQ(effective_settings(s, &c).vm_greeting_id, 11);
}

TEST(SourceSettings, TheSourcesEmailWinsAndAnEmptyOneIsNone) {
  Campaign c;
  c.email = "campaign@example.com";
  Source s;
  EXPECT_EQ(effective_settings(s, &c).email, "campaign@example.com");
  s.email = "";
  EXPECT_EQ(effective_settings(s, &c).email, "campaign@example.com");
  s.email = "source@example.com";
  EXPECT_EQ(effective_settings(s, &c).email, "source@example.com");
  c.email = "";
  EXPECT_FALSE(effective_settings(Source{}, &c).email);
  EXPECT_FALSE(effective_settings(Source{}, nullptr).email);
}

}  // namespace
}  // namespace callsight
