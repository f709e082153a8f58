#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/campaign.hpp"
#include "core/source.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

struct SourceFilter {
  std::optional<Id> source_id;
  std::optional<Id> customer_id;
  std::optional<std::string> custnr;
  std::optional<std::string> tracking_number;
  std::optional<Id> campaign_id;
  std::optional<SourceStatus> status;  // derived status at the store clock's now
  std::optional<int> source_class;
};

// Which tracking number a new source wants; both empty means any suitable free number.
struct NumberRequest {
  std::optional<std::string> tracking_number;  // exactly this free number (wire "destnr")
  std::optional<std::string> prefix;           // an E.164 prefix, e.g. "+468" (wire "ndc")
};

// Who takes the calls to a tracking number: a static source, or a pool (a source of kind
// dynamic) the number is in.
struct NumberHolder {
  Source source;       // a pool's: its routing settings, tracking_number empty
  std::string number;  // the tracking number held, E.164
  bool in_pool = false;
  // Removed from its pool and in its quarantine: refused as a quarantined source's number
  // is, whatever the pool's status.
  bool removed_from_pool = false;
};

// A tracking number in use with everything its route follows from (core/number_route), for
// an edge's copy of the routes (docs/kamailio.md, "Routes at the edge").
struct RoutableNumber {
  NumberHolder holder;
  std::optional<Campaign> campaign;   // the holder's, when it has one
  int quarantine_days = 0;            // the partner's
  std::string time_zone;              // the partner's
  std::string country;                // the partner's, for the forms of callers
  bool show_tracking_number = false;  // the customer's freespee_caller_id
  bool whisper = false;               // the customer's whisper
};

// Every number in use and the blacklists of the customers holding them, read at one instant.
struct RoutingTable {
  std::vector<RoutableNumber> numbers;  // by number
  struct Blacklisted {
    Id customer_id = 0;
    std::string number;  // E.164
  };
  std::vector<Blacklisted> blacklisted;  // by customer, then number
};

// The sources part of the Store (see store.hpp). Every method is one transaction (the sweep
// one per source) and reaches only the given partner's objects, except the sweep and the
// switch's lookup, which work across partners. A pool is a source of kind dynamic, reached
// through DniStore: find, list and change here see static sources only, and a pool's id is
// not found, as another partner's source is not.
class SourceStore {
 public:
  virtual ~SourceStore() = default;

  // create_source allocates a tracking number and creates the source in one
  // transaction, so two concurrent creates never get the same number; it fills
  // tracking_number, id, created, modified and alt_key of each rule. With no suitable
  // free number: ConflictError("no_free_number", "destnr") and nothing is written.
  // NotFoundError when the customer is not the partner's.
  // `check_references`, when given, runs in that transaction once the customer was found and
  // before a number is picked; what it looks up cannot be deleted until the source is
  // written. It may throw to refuse, and then nothing is written.
  virtual Source create_source(
      const Source& source, const NumberRequest& number,
      const std::function<void(ChangeLookups&)>& check_references = {}) = 0;
  virtual std::optional<Source> find_source(Id partner_id, Id source_id) = 0;
  virtual Page<Source> list_sources(Id partner_id, const SourceFilter& filter,
                                    PageRequest page) = 0;
  // Writes every field (lifecycle and alt_numbers included; rules without alt_key get one);
  // tracking_number, customer_id and partner_id never change. NotFoundError.
  virtual Source update_source(const Source& source) = 0;
  // nullopt when the source is not the partner's. Otherwise as update_source: the same
  // fields never change, and a change that would bring back an archived source whose number
  // was released is refused with ConflictError("archived", "source_id").
  virtual std::optional<Source> change_source(Id partner_id, Id source_id,
                                              const Change<Source>& change) = 0;
  // Applies the transitions that have side effects, each source in a transaction of its own:
  // a status change since the last announced one writes source.status_changed, and a source
  // whose derived status is now archived gets archived_at and releases its number. A source
  // that fails is handed to `on_failure` and left for the next sweep (without a handler its
  // error is thrown). Returns how many were archived.
  virtual int sweep_sources(const RowFailureHandler& on_failure = {}) = 0;
  // For the switch, across partners: who holds this tracking number now, nullopt when nobody
  // does: a static source that is reserved, upcoming, active or quarantined, or a pool that is
  // not archived, the number in it or removed from it and still in its quarantine.
  virtual std::optional<NumberHolder> find_source_holding(const std::string& tracking_number) = 0;
  // For the edges, across partners, in one read transaction: every number find_source_holding
  // would find now, and the blacklists that screen their calls.
  virtual RoutingTable routing_table() = 0;
};

}  // namespace callsight
