#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

// The file side of core/media/spool_claim: a node's claim on one entry of rtpengine's spool is
// the file <claims>/<entry's metadata file name>, made with O_CREAT | O_EXCL, which succeeds
// for one creator alone, on a local disk as on NFS (v3 and later). It says which node holds it
// (host name and process id) and a random token that tells it from a claim made after it.
namespace callsight::media {

class SpoolClaim {
 public:
  // This node's claim on the entry `entry_name`, or nullopt while another node's claim on it
  // holds. A lapsed claim is broken first (only the claim that was judged lapsed: one made
  // meanwhile by a node that broke it before is left in place). Throws MediaError when the
  // claim file cannot be made for another reason than an existing claim.
  static std::optional<SpoolClaim> try_claim(const std::filesystem::path& claims,
                                             const std::string& entry_name,
                                             std::chrono::seconds lapse);

  SpoolClaim(SpoolClaim&& other) noexcept;
  SpoolClaim& operator=(SpoolClaim&& other) noexcept;  // releases this one first
  SpoolClaim(const SpoolClaim&) = delete;
  SpoolClaim& operator=(const SpoolClaim&) = delete;
  ~SpoolClaim();  // releases the claim: removes its file unless another node took it over

  // Whether a claim was broken to make this one (its node had stopped).
  bool took_over() const { return took_over_; }

 private:
  SpoolClaim(std::filesystem::path path, dev_t device, ino_t inode, std::string text,
             bool took_over)
      : path_(std::move(path)),
        device_(device),
        inode_(inode),
        text_(std::move(text)),
        took_over_(took_over) {}
  void release() noexcept;

  std::filesystem::path path_;  // empty once moved from
  dev_t device_;
  ino_t inode_;
  std::string text_;  // what it says: its node and a random token
  bool took_over_;
};

// Removes the lapsed claims in `claims` whose entry is no longer in `metadata`: those of a node
// that stopped between finishing an entry and releasing its claim (and the leftovers of
// breaking one). Returns how many it removed.
int remove_lapsed_claims(const std::filesystem::path& claims, const std::filesystem::path& metadata,
                         std::chrono::seconds lapse);

}  // namespace callsight::media
