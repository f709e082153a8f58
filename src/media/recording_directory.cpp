#include "media/recording_directory.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "common/random.hpp"
#include "core/time_format.hpp"

namespace callsight::media {

RecordingDirectory::RecordingDirectory(std::filesystem::path root) : root_(std::move(root)) {
  std::filesystem::create_directories(root_);
}

std::string RecordingDirectory::new_file_name(Id partner_id, TimePoint now) const {
  const auto month = format_utc(now).substr(0, 7);  // "YYYY-MM"
  return std::to_string(partner_id) + "/" + month + "/" + random_hex(16) + ".mp3";
}

std::filesystem::path RecordingDirectory::path_of(const std::string& file_name) const {
  const std::filesystem::path relative(file_name);
  if (file_name.empty() || relative.is_absolute()) {
    throw std::invalid_argument("recording file name is not a relative path");
  }
  for (const auto& part : relative) {
    if (part == "..") throw std::invalid_argument("recording file name leaves the directory");
  }
  return root_ / relative;
}

std::optional<std::string> RecordingDirectory::read(const std::string& file_name) {
  std::ifstream in(path_of(file_name), std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void RecordingDirectory::remove(const std::string& file_name) {
  std::error_code ignored;  // gone already is fine
  std::filesystem::remove(path_of(file_name), ignored);
}

}  // namespace callsight::media
