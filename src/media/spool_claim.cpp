#include "media/spool_claim.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "common/random.hpp"
#include "core/media/media_error.hpp"
#include "core/media/spool_claim.hpp"

namespace callsight::media {
namespace {

// A claim file as one look saw it: where it is stored, how old it is and what it says (which
// node made it, and a random token: an inode freed by a claim broken just before may be the
// next claim's, so the inode alone does not tell two claims apart).
struct ClaimFile {
  dev_t device;
  ino_t inode;
  std::chrono::seconds age;
  std::string text;
};

std::optional<ClaimFile> read_claim(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::array<char, 512> buffer{};
  const bool known = ::fstat(fd, &st) == 0;
  const auto got = ::read(fd, buffer.data(), buffer.size());
  ::close(fd);
  if (!known || got < 0) return std::nullopt;
  const auto written = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
  return ClaimFile{.device = st.st_dev,
                   .inode = st.st_ino,
                   .age = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now() - written),
                   .text = std::string(buffer.data(), static_cast<std::size_t>(got))};
}

bool same_claim(const ClaimFile& a, const ClaimFile& b) {
  return a.device == b.device && a.inode == b.inode && a.text == b.text;
}

// Removes the claim file at `path` if it is still `claim`. It is moved aside first and looked
// at there: a claim another node made in its place meanwhile (having broken the lapsed one
// first) is put back rather than removed. Should a third node have claimed in that instant,
// two nodes convert the entry: the database keeps one recording and the other node removes
// its MP3 (docs/recordings.md), so the claim saves work and never decides what is stored.
// Returns whether it removed the file.
bool remove_if_same(const std::filesystem::path& path, const ClaimFile& claim) {
  const auto aside =
      path.parent_path() / ("." + path.filename().string() + "." + random_hex(8) + ".gone");
  if (::rename(path.c_str(), aside.c_str()) != 0) return false;  // gone already
  const auto moved = read_claim(aside);
  const bool same = moved && same_claim(*moved, claim);
  if (!same) ::link(aside.c_str(), path.c_str());
  ::unlink(aside.c_str());
  return same;
}

// What a new claim says: who holds it, for an operator looking at the spool, and a token.
std::string claim_text() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return std::string(host.data()) + " " + std::to_string(::getpid()) + " " + random_hex(8) + "\n";
}

}  // namespace

std::optional<SpoolClaim> SpoolClaim::try_claim(const std::filesystem::path& claims,
                                                const std::string& entry_name,
                                                std::chrono::seconds lapse) {
  std::error_code ignored;
  std::filesystem::create_directories(claims, ignored);  // a failure shows in the open below
  const auto path = claims / entry_name;
  bool broke = false;
  // A claim released or broken between the open and the look at it: try again, a few times;
  // then the next pass.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      struct stat st {};
      const auto text = claim_text();
      const bool made = ::fstat(fd, &st) == 0 &&
                        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ::close(fd);
      if (!made) {
        ::unlink(path.c_str());
        throw MediaError("spool claim: could not be written");
      }
      return SpoolClaim(path, st.st_dev, st.st_ino, text, broke);
    }
    if (errno != EEXIST) throw MediaError("spool claim: could not be made");
    const auto existing = read_claim(path);
    if (!existing) continue;  // released meanwhile
    switch (spool_claim_step(existing->age, lapse)) {
      case SpoolClaimStep::claim:
      case SpoolClaimStep::leave:
        return std::nullopt;
      case SpoolClaimStep::take_over:
        broke = remove_if_same(path, *existing) || broke;
        break;
    }
  }
  return std::nullopt;
}

SpoolClaim::SpoolClaim(SpoolClaim&& other) noexcept
    : path_(std::move(other.path_)),
      device_(other.device_),
      inode_(other.inode_),
      text_(std::move(other.text_)),
      took_over_(other.took_over_) {
  other.path_.clear();
}

SpoolClaim& SpoolClaim::operator=(SpoolClaim&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    device_ = other.device_;
    inode_ = other.inode_;
    text_ = std::move(other.text_);
    took_over_ = other.took_over_;
    other.path_.clear();
  }
  return *this;
}

SpoolClaim::~SpoolClaim() { release(); }

void SpoolClaim::release() noexcept {
  if (path_.empty()) return;
  try {
    remove_if_same(path_, ClaimFile{.device = device_, .inode = inode_, .age = {}, .text = text_});
  } catch (...) {
    // Left in place: it lapses, and the entry's next pass or remove_lapsed_claims removes it.
  }
  path_.clear();
}

int remove_lapsed_claims(const std::filesystem::path& claims, const std::filesystem::path& metadata,
                         std::chrono::seconds lapse) {
  std::vector<std::filesystem::path> paths;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(claims, error)) {
    paths.push_back(entry.path());
  }
  int removed = 0;
  for (const auto& path : paths) {
    const auto claim = read_claim(path);
    if (!claim || spool_claim_step(claim->age, lapse) != SpoolClaimStep::take_over) continue;
    // An entry still in the spool is taken over by the pass that meets it. Leftovers of
    // breaking a claim start with a dot, which no entry's name does.
    const auto name = path.filename().string();
    if (!name.starts_with(".") && std::filesystem::exists(metadata / name, error)) continue;
    if (remove_if_same(path, *claim)) ++removed;
  }
  return removed;
}

}  // namespace callsight::media
