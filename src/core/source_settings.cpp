#include "core/source_settings.hpp"

namespace callsight {

EffectiveSourceSettings effective_settings(const Source& source, const Campaign* campaign) {
  EffectiveSourceSettings e;
  e.notify_on_missed_call = source.notify_on_missed_call;
  e.notify_on_new_voicemail = source.notify_on_new_voicemail;
  e.vm_divert_all = source.vm_divert_all;
  e.vm_divert_busy = source.vm_divert_busy;
  e.vm_divert_noanswer = source.vm_divert_noanswer;
  e.vm_greeting_id = source.vm_greeting_id;
  if (source.email && !source.email->empty()) e.email = source.email;
  if (!campaign) return e;
  const auto either = [](int source_flag, int campaign_flag) {
    return source_flag == 1 ? 1 : campaign_flag;
  };
  e.notify_on_missed_call = either(source.notify_on_missed_call, campaign->notify_on_missed_call);
  e.notify_on_answered_call = campaign->notify_on_answered_call;
  e.notify_on_new_voicemail =
      either(source.notify_on_new_voicemail, campaign->notify_on_new_voicemail);
  e.vm_divert_all = either(source.vm_divert_all, campaign->vm_divert_all);
  e.vm_divert_busy = either(source.vm_divert_busy, campaign->vm_divert_busy);
  e.vm_divert_noanswer = either(source.vm_divert_noanswer, campaign->vm_divert_noanswer);
  e.call_recording = campaign->call_recording;
  e.recording_notice = campaign->recording_notice;
  if (!e.vm_greeting_id) e.vm_greeting_id = campaign->vm_greeting_id;
  if (!e.email && campaign->email && !campaign->email->empty()) e.email = campaign->email;
  return e;
}

}  // namespace callsight
