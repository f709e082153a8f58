#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/recording.hpp"

namespace callsight::media {

// The recordings directory (--recordings-dir): each MP3 under a folder per partner and month,
// so no folder grows without bound and a partner's audio can be found by hand. Names stored
// in the database are relative to it, so the directory may move (or be shared by nodes).
class RecordingDirectory final : public RecordingAudio {
 public:
  explicit RecordingDirectory(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  // A new, unused relative name for a recording of `partner_id` made at `now`.
  std::string new_file_name(Id partner_id, TimePoint now) const;
  // The absolute path of a stored name; throws std::invalid_argument for a name that would
  // leave the directory (a stored name is never trusted to stay inside).
  std::filesystem::path path_of(const std::string& file_name) const;

  std::optional<std::string> read(const std::string& file_name) override;
  void remove(const std::string& file_name) override;

 private:
  std::filesystem::path root_;
};

}  // namespace callsight::media
