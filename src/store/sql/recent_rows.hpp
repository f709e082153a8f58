#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace callsight {

// Rows this node read lately, by key, each kept while no write transaction of this node's
// database has ended since it was read (SqlDatabase::write_generation) and it is younger than
// the lifetime. A change made on this node is so seen by the next read at once; a change made
// by another node or process (PostgreSQL nodes, the admin CLI on SQLite) within the lifetime.
// The caller takes the generation before its read and puts the row under it: a write that
// ends meanwhile makes the entry dead on arrival, never stale. The lifetime is real time,
// whatever clock the store runs on. Holds at most `capacity` entries (all go when full).
// Thread-safe: lookups share a lock.
template <class Key, class Row, class KeyHash = std::hash<Key>>
class RecentRows {
 public:
  using Clock = std::chrono::steady_clock;

  RecentRows(std::size_t capacity, Clock::duration lifetime)
      : capacity_(capacity == 0 ? 1 : capacity), lifetime_(lifetime) {}

  std::shared_ptr<const Row> find(const Key& key, std::uint64_t generation,
                                  Clock::time_point now) const {
    std::shared_lock lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.generation != generation ||
        now - it->second.read_at >= lifetime_) {
      return nullptr;
    }
    return it->second.row;
  }

  void put(const Key& key, std::shared_ptr<const Row> row, std::uint64_t generation,
           Clock::time_point read_at) {
    std::unique_lock lock(mutex_);
    if (entries_.size() >= capacity_ && !entries_.contains(key)) entries_.clear();
    entries_.insert_or_assign(key, Entry{std::move(row), generation, read_at});
  }

 private:
  struct Entry {
    std::shared_ptr<const Row> row;
    std::uint64_t generation = 0;
    Clock::time_point read_at;
  };

  const std::size_t capacity_;
  const Clock::duration lifetime_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<Key, Entry, KeyHash> entries_;
};

}  // namespace callsight
