#pragma once

#include <optional>
#include <string>

#include "core/campaign.hpp"
#include "core/source.hpp"

namespace callsight {

// What a call to a source actually does about notifications, voicemail and recording.
struct EffectiveSourceSettings {
  int notify_on_missed_call = 0;
  int notify_on_answered_call = 0;
  int notify_on_new_voicemail = 0;
  int vm_divert_all = 0;
  int vm_divert_busy = 0;
  int vm_divert_noanswer = 0;
  int call_recording = 0;
  int recording_notice = 1;  // the campaign's; matters only with call_recording
  std::optional<Id> vm_greeting_id;
  // Where notification e-mails go: the source's own address, else its campaign's; an empty
  // address counts as none.
  std::optional<std::string> email;
};

// A campaign's settings are the defaults of its sources. Sources store their flags as
// plain 0/1 with 0 as default, so "the source set 0" and "the source set nothing" look
// the same: a source flag of 1 wins, otherwise the campaign's value applies. A source
// therefore cannot switch off what its campaign switches on. Sources have no
// notify_on_answered_call or call_recording of their own: those come from the campaign.
// The source's vm_greeting_id and email win when set. `campaign` may be null (no campaign).
EffectiveSourceSettings effective_settings(const Source& source, const Campaign* campaign);

}  // namespace callsight
