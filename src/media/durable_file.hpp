#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace callsight::media {

// A file in progress beside its final name (same directory, so the rename cannot cross file
// systems), removed unless committed.
class TemporaryFile {
 public:
  // `.<final name>.<random>.<suffix>` in the final name's directory.
  TemporaryFile(const std::filesystem::path& final_path, std::string_view suffix);
  ~TemporaryFile();
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // fsync the file, rename it to `final_path`, fsync the directory: after a crash the final name
  // holds the whole file or does not exist.
  void commit(const std::filesystem::path& final_path);

 private:
  std::filesystem::path path_;
  bool committed_ = false;
};

// Writes the pieces `next_piece` hands out to `path`, until it returns an empty one (no fsync:
// for intermediate files). Throws MediaError naming what failed.
void write_file_in_pieces(const std::filesystem::path& path,
                          const std::function<std::string()>& next_piece);

// A small file's whole content; empty when it cannot be read.
std::string read_small_file(const std::filesystem::path& path);

// Removes the file if it is there; a failure is left for the next pass to meet.
void remove_if_present(const std::filesystem::path& path);

}  // namespace callsight::media
