#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/types.hpp"

namespace callsight {

// Reference §2.3 numbers the states on the wire: 0 active, 1 upcoming, 2 archived.
enum class CampaignState { active = 0, upcoming = 1, archived = 2 };

// A customer's campaign: groups sources and holds the notification, voicemail and recording
// settings its sources fall back to (core/source_settings.hpp).
struct Campaign {
  Id id = 0;
  Id customer_id = 0;
  std::string name;
  std::optional<std::string> email;
  std::optional<std::string> smsnumber;            // E.164
  std::optional<std::string> partner_campaign_id;  // the partner's key, unique per customer
  std::string pricing_model_id;
  TimePoint timestamp;                  // start; the creation time when not given
  std::optional<TimePoint> expire;      // wire "expire" as given
  std::optional<TimePoint> expires_at;  // end of the expire day in the partner's time zone
  int notify_on_missed_call = 0;
  int notify_on_answered_call = 0;
  int notify_on_new_voicemail = 0;
  int vm_divert_all = 0;
  int vm_divert_busy = 0;
  int vm_divert_noanswer = 0;
  int call_recording = 0;
  // A recorded call first plays the recording notice to the caller (docs/recordings.md). On
  // by default: where every party must consent (all-party consent laws) the caller must be
  // told, and a partner that never heard of the field gets the lawful behaviour.
  int recording_notice = 1;
  std::optional<Id> vm_greeting_id;
  std::vector<Id> source_ids;  // sources whose campaign_id is this one; filled on read
  std::string created;
  std::string modified;
};

// The state at `now`, derived on every read so it never goes stale:
//   expires_at reached -> archived; timestamp in the future -> upcoming; else active.
CampaignState derive_campaign_state(const Campaign& campaign, TimePoint now);

}  // namespace callsight
