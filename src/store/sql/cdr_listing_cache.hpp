#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "core/types.hpp"
#include "store/call_record_store.hpp"

namespace callsight {

// What one node derived from the partner's call records for a listing and may reuse while
// nothing changed them: the filtered total, and the (start, id) of the row just before a page
// (the page after it is then a seek, not an OFFSET over every row before). Each entry carries
// the partner's change count (the sum of cdr_counts.changes) read in the snapshot it was
// derived from; it is served only to a listing that read the same change count in its own
// snapshot, so another node's write, committed with its bump of the count, is never hidden.
// Keys begin with the partner's id, so no partner is served another one's entry.
class CdrListingCache {
 public:
  struct Boundary {
    std::int64_t start = 0;  // unix seconds
    Id id = 0;
  };

  std::optional<std::int64_t> total(Id partner_id, const CallRecordFilter& filter,
                                    std::int64_t changes);
  void remember_total(Id partner_id, const CallRecordFilter& filter, std::int64_t changes,
                      std::int64_t total);
  // The row before the one at `offset` in the filter's order.
  std::optional<Boundary> boundary(Id partner_id, const CallRecordFilter& filter,
                                   std::int64_t offset, std::int64_t changes);
  void remember_boundary(Id partner_id, const CallRecordFilter& filter, std::int64_t offset,
                         std::int64_t changes, Boundary boundary);

 private:
  // The partner, then every field of the filter (absent ones as a distinct value).
  using Key = std::tuple<Id, std::string>;
  template <class T>
  struct Entry {
    std::int64_t changes = 0;
    T value{};
  };
  // Bounded: at this many entries a map starts over (a dashboard pages a few queries; a
  // client walking every page of many filters only makes entries that are cheap to lose).
  static constexpr std::size_t kMaxEntries = 4096;

  static Key key(Id partner_id, const CallRecordFilter& filter, std::int64_t offset);

  std::mutex mutex_;
  std::map<Key, Entry<std::int64_t>> totals_;
  std::map<Key, Entry<Boundary>> boundaries_;
};

}  // namespace callsight
