#pragma once

#include <cstddef>
#include <list>
#include <unordered_map>
#include <utility>

namespace callsight {

// A map that remembers the order in which its entries were last renewed and holds at most
// `capacity` of them, so per-client state cannot grow without bound. Not thread-safe.
template <class Key, class Value>
class RecencyMap {
 public:
  explicit RecencyMap(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  Value* find(const Key& key) {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }

  // The entry for key, now the newest; a new Value{} when absent, for which the oldest entry
  // makes room when the map is full.
  Value& renew(const Key& key) {
    if (const auto it = index_.find(key); it != index_.end()) {
      order_.splice(order_.end(), order_, it->second);
      return it->second->second;
    }
    if (order_.size() >= capacity_) drop_oldest();
    order_.emplace_back(key, Value{});
    index_.emplace(key, std::prev(order_.end()));
    return order_.back().second;
  }

  // Drops entries from the oldest on while stale(value) holds; stops at the first that does not.
  template <class Predicate>
  void drop_oldest_while(Predicate stale) {
    while (!order_.empty() && stale(order_.front().second)) drop_oldest();
  }

  std::size_t size() const { return order_.size(); }

 private:
  void drop_oldest() {
    index_.erase(order_.front().first);
    order_.pop_front();
  }

  std::size_t capacity_;
  std::list<std::pair<Key, Value>> order_;  // oldest renewal first
  std::unordered_map<Key, typename std::list<std::pair<Key, Value>>::iterator> index_;
};

}  // namespace callsight
