#pragma once

#include "store/recording_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlRecordingStore final : public RecordingStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  StoredRecording add_recording(std::string_view switch_call_id, RecordingKind kind,
                                const RecordingFile& file, TimePoint now) override;
  std::optional<Recording> find_recording_for_link(std::string_view recording_id) override;
  std::optional<Recording> find_recording(Id partner_id, std::string_view recording_id) override;
  Page<Recording> list_recordings(Id partner_id, Id customer_id, PageRequest page) override;
  ReleasedAudio delete_recording(Id partner_id, std::string_view recording_id) override;
  std::vector<ReleasedAudio> expire_due(TimePoint now, int limit,
                                        const RowFailureHandler& on_failure) override;

 private:
  std::optional<Recording> find_by_cdr(Id cdr_id);
  // expire_due's work on one recording; nullopt when it was not due (any more).
  std::optional<ReleasedAudio> expire_one(Id id, TimePoint now);
};

}  // namespace callsight
