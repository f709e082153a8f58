#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace callsight {

// Values by text key, each kept until the instant it was given and then asked for again: a
// read path can answer from memory while a change made elsewhere (another node, the admin
// CLI, an import) reaches it within the lifetime. Holds at most `capacity` entries; when
// full, the expired ones go, and if none had, all of them. Thread-safe: lookups share a lock.
template <class Value, class TimePoint>
class ExpiringCache {
 public:
  explicit ExpiringCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The value for key unless it expired at or before now; null otherwise.
  std::shared_ptr<const Value> find(std::string_view key, TimePoint now) const {
    std::shared_lock lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.expires <= now) return nullptr;
    return it->second.value;
  }

  void put(std::string_view key, std::shared_ptr<const Value> value, TimePoint expires,
           TimePoint now) {
    std::unique_lock lock(mutex_);
    if (entries_.size() >= capacity_ && entries_.find(key) == entries_.end()) {
      std::erase_if(entries_, [now](const auto& entry) { return entry.second.expires <= now; });
      if (entries_.size() >= capacity_) entries_.clear();
    }
    entries_.insert_or_assign(std::string(key), Entry{std::move(value), expires});
  }

  void erase(std::string_view key) {
    std::unique_lock lock(mutex_);
    if (const auto it = entries_.find(key); it != entries_.end()) entries_.erase(it);
  }

  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::shared_ptr<const Value> value;
    TimePoint expires;
  };
  // Lets find() take a string_view without building a std::string per lookup.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  const std::size_t capacity_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry, TextHash, std::equal_to<>> entries_;
};

}  // namespace callsight
