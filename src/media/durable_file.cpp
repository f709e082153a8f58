#include "media/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "common/random.hpp"
#include "core/media/media_error.hpp"

namespace callsight::media {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw MediaError(what + ": " + std::strerror(errno));
}

void fsync_path(const std::filesystem::path& path, int flags, const std::string& what) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail(what + " open");
  const bool synced = fsync(fd) == 0;
  const int saved = errno;
  close(fd);
  errno = saved;
  if (!synced) fail(what + " fsync");
}

}  // namespace

TemporaryFile::TemporaryFile(const std::filesystem::path& final_path, std::string_view suffix)
    : path_(final_path.parent_path() / ("." + final_path.filename().string() + "." + random_hex(8) +
                                        "." + std::string(suffix))) {}

TemporaryFile::~TemporaryFile() {
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
}

void TemporaryFile::commit(const std::filesystem::path& final_path) {
  fsync_path(path_, O_RDONLY, "output file");
  if (std::rename(path_.c_str(), final_path.c_str()) != 0) fail("output file rename");
  committed_ = true;
  auto directory = final_path.parent_path();
  if (directory.empty()) directory = ".";
  fsync_path(directory, O_RDONLY | O_DIRECTORY, "output directory");
}

void write_file_in_pieces(const std::filesystem::path& path,
                          const std::function<std::string()>& next_piece) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("temporary file open");
  for (auto piece = next_piece(); !piece.empty(); piece = next_piece()) {
    std::size_t written = 0;
    while (written < piece.size()) {
      const auto n = write(fd, piece.data() + written, piece.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int saved = errno;
        close(fd);
        errno = saved;
        fail("temporary file write");
      }
      written += static_cast<std::size_t>(n);
    }
  }
  if (close(fd) != 0) fail("temporary file close");
}

std::string read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void remove_if_present(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

}  // namespace callsight::media
