#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/recording.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

// What the recordings directory holds for a recording about to be stored.
struct RecordingFile {
  std::string file_name;  // relative to the recordings directory
  std::int64_t bytes = 0;
  std::int64_t duration_ms = 0;
  std::string sha256;
};

// The outcome of storing a call's recording.
struct StoredRecording {
  Recording recording;
  bool added = false;  // false: the call had one already (this file is not needed)
};

// A recording whose audio the store has let go of (expired, deleted, erased): the caller
// deletes its file after the transaction committed. A crash in between leaves a file no row
// names, which costs disk and never exposes audio (docs/recordings.md).
struct ReleasedAudio {
  Id id = 0;
  std::string file_name;
};

// The recordings part of the Store (see store.hpp). Every method is one transaction.
class RecordingStore {
 public:
  virtual ~RecordingStore() = default;

  // For the media pick-up, across partners. Stores the call's recording, names it on the call
  // record and writes the call.recording_ready event, in one write transaction. Idempotent by call:
  // a call that has a recording keeps it (added=false). NotFoundError when no call has that switch
  // id.
  virtual StoredRecording add_recording(std::string_view switch_call_id, RecordingKind kind,
                                        const RecordingFile& file, TimePoint now) = 0;

  // For a signed audio link (core recording_link_valid), whose signature names the
  // recording: any partner's.
  virtual std::optional<Recording> find_recording_for_link(std::string_view recording_id) = 0;

  // For the partner API: only that partner's recordings.
  virtual std::optional<Recording> find_recording(Id partner_id, std::string_view recording_id) = 0;
  virtual Page<Recording> list_recordings(Id partner_id, Id customer_id, PageRequest page) = 0;
  // Removes the recording and takes it off its call record; its audio is to be deleted.
  // NotFoundError when the partner has no such recording.
  virtual ReleasedAudio delete_recording(Id partner_id, std::string_view recording_id) = 0;

  // For the retention job, across partners: recordings whose partner's retention has passed
  // at `now` are marked expired (audio gone, row kept), at most `limit` per call, each in
  // its own transaction; a row that fails goes to on_failure and the rest go on.
  virtual std::vector<ReleasedAudio> expire_due(TimePoint now, int limit,
                                                const RowFailureHandler& on_failure) = 0;
};

}  // namespace callsight
