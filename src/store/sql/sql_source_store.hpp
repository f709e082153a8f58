#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/source_store.hpp"
#include "store/sql/recent_rows.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

// Source rows, shared with the dni store, whose pools are sources of kind "dynamic"; each
// runs in the caller's transaction.
// A rule keeps its alt_key only if it is one of `existing`'s; the others get fresh ones.
void write_alt_numbers(SqlDatabase& db, Id source_id, const std::vector<AltNumberRule>& rules,
                       const std::vector<AltNumberRule>& existing);
std::optional<Source> find_source_row(SqlDatabase& db, Id partner_id, Id source_id);
// Writes the columns `after` changed (tracking_number, customer_id and partner_id never
// change) and stamps `modified` with `now`.
void write_source_changes(SqlDatabase& db, const Source& before, const Source& after,
                          TimePoint now);
// Inserts the source and its alternative numbers and gives its id; `number_kind` is "static"
// or "dynamic".
Id insert_source_row(SqlDatabase& db, const Source& source, const std::string& tracking_number,
                     std::string_view number_kind, const std::string& created);
SourceStatus source_status(SqlDatabase& db, Id source_id, TimePoint now);
void write_source_event(SqlDatabase& db, const Source& source, std::string_view type,
                        SourceStatus status, TimePoint now);
// A new source, static or a pool: its source.created event, and the status from which the
// sweep announces its changes.
void announce_created_source(SqlDatabase& db, const Source& source, TimePoint now);

class SqlSourceStore final : public SourceStore, private SqlSubStore {
 public:
  SqlSourceStore(SqlDatabase& db, const Clock& clock);

  Source create_source(const Source& source, const NumberRequest& number,
                       const std::function<void(ChangeLookups&)>& check_references = {}) override;
  std::optional<Source> find_source(Id partner_id, Id source_id) override;
  Page<Source> list_sources(Id partner_id, const SourceFilter& filter, PageRequest page) override;
  Source update_source(const Source& source) override;
  std::optional<Source> change_source(Id partner_id, Id source_id,
                                      const Change<Source>& change) override;
  int sweep_sources(const RowFailureHandler& on_failure = {}) override;
  std::optional<NumberHolder> find_source_holding(const std::string& tracking_number) override;
  RoutingTable routing_table() override;

 private:
  // The helpers below run inside a transaction their caller holds.
  std::vector<Id> sources_to_sweep();
  bool sweep_source(Id source_id);
  bool holds_its_number(Id source_id);

  // The statements' text built once: building it per read (about 1 KB, the alt_numbers
  // aggregate in the backend's dialect) and hashing it for the statement cache was a twentieth
  // of a source read's CPU (bench/README.md, "The source read").
  const std::string columns_;
  const std::string find_static_sql_;

  // (partner, source) -> the source as find_source last read it.
  struct SourceKeyHash {
    std::size_t operator()(const std::pair<Id, Id>& key) const {
      return std::hash<Id>{}(key.first) * 31 + std::hash<Id>{}(key.second);
    }
  };
  // A source read by id is most of what a partner's dashboard asks for; from memory it costs
  // no statement (SQLite's lock, lookup and reset were about a fifth of such a read's CPU).
  RecentRows<std::pair<Id, Id>, Source, SourceKeyHash> recent_sources_;
};

}  // namespace callsight
