#include "store/sql/cdr_listing_cache.hpp"

namespace callsight {
namespace {

void append_field(std::string& out, const std::optional<std::int64_t>& value) {
  out += value ? std::to_string(*value) : std::string("-");
  out += '|';
}

template <class Map, class Value>
void put(Map& map, std::size_t max_entries, typename Map::key_type key, std::int64_t changes,
         Value value) {
  if (map.size() >= max_entries && map.find(key) == map.end()) map.clear();
  map[std::move(key)] = {changes, value};
}

}  // namespace

CdrListingCache::Key CdrListingCache::key(Id partner_id, const CallRecordFilter& filter,
                                          std::int64_t offset) {
  std::string fields;
  fields += to_string(filter.direction);
  fields += '|';
  append_field(fields, filter.from
                           ? std::optional<std::int64_t>(filter.from->time_since_epoch().count())
                           : std::nullopt);
  append_field(fields, filter.to
                           ? std::optional<std::int64_t>(filter.to->time_since_epoch().count())
                           : std::nullopt);
  append_field(fields, filter.customer_id);
  append_field(fields, filter.source_id);
  append_field(fields, filter.cdr_id);
  for (const auto status : filter.statuses) {
    fields += to_string(status);
    fields += ',';
  }
  fields += filter.newest_first ? "|desc|" : "|asc|";
  fields += std::to_string(offset);
  // The caller last: it is free text, so nothing after it could be confused with it.
  fields += filter.caller ? "|c" + *filter.caller : std::string("|-");
  return {partner_id, std::move(fields)};
}

std::optional<std::int64_t> CdrListingCache::total(Id partner_id, const CallRecordFilter& filter,
                                                   std::int64_t changes) {
  std::lock_guard lock(mutex_);
  auto found = totals_.find(key(partner_id, filter, 0));
  if (found == totals_.end() || found->second.changes != changes) return std::nullopt;
  return found->second.value;
}

void CdrListingCache::remember_total(Id partner_id, const CallRecordFilter& filter,
                                     std::int64_t changes, std::int64_t total) {
  std::lock_guard lock(mutex_);
  put(totals_, kMaxEntries, key(partner_id, filter, 0), changes, total);
}

std::optional<CdrListingCache::Boundary> CdrListingCache::boundary(Id partner_id,
                                                                   const CallRecordFilter& filter,
                                                                   std::int64_t offset,
                                                                   std::int64_t changes) {
  std::lock_guard lock(mutex_);
  auto found = boundaries_.find(key(partner_id, filter, offset));
  if (found == boundaries_.end() || found->second.changes != changes) return std::nullopt;
  return found->second.value;
}

void CdrListingCache::remember_boundary(Id partner_id, const CallRecordFilter& filter,
                                        std::int64_t offset, std::int64_t changes,
                                        Boundary boundary) {
  std::lock_guard lock(mutex_);
  put(boundaries_, kMaxEntries, key(partner_id, filter, offset), changes, boundary);
}

}  // namespace callsight
