#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/dni/allocation.hpp"
#include "core/dni/number_hold.hpp"
#include "core/dni/pool_health.hpp"
#include "core/dni/pool_rules.hpp"
#include "core/dni/visit.hpp"
#include "core/source.hpp"
#include "core/types.hpp"
#include "store/source_store.hpp"
#include "store/store.hpp"

namespace callsight {

// What a pool has beside its source's settings (name, medium, routing): which visits it
// serves, how long a number stays with a visitor, and what the browser script replaces.
struct DniPoolSettings {
  bool is_default = false;  // one per customer: a pool made default takes over
  std::vector<dni::MatchRule> match_rules;
  dni::PoolTiming timing;
  std::string fallback_number;                  // shown when every number is held
  std::vector<std::string> numbers_to_replace;  // printed on the customer's site
  std::vector<std::string> allowed_origins;     // sites allowed to ask for numbers
};

// One number of a pool. A removed number stays in the pool's list until its quarantine ends;
// it is never handed out again.
struct DniPoolNumber {
  Id id = 0;
  std::string number;
  TimePoint added_at;
  std::optional<TimePoint> removed_at;
  std::optional<TimePoint> quarantined_until;
};

// A pool is a source of kind dynamic: `source` holds its id, name, medium and routing settings
// (changed with the settings through change_pool); its tracking_number is empty, since a pool
// has many numbers.
struct DniPool {
  Source source;
  DniPoolSettings settings;
  std::vector<DniPoolNumber> numbers;
};

// A visitor's request for a number of a pool. Ids are the script's cookies; an id the store
// does not know (expired, or another customer's) is replaced by a new one, so a client can
// never reach someone else's session.
struct DniNumberRequest {
  Id partner_id = 0;
  Id pool_id = 0;
  std::optional<std::string> session_id;
  std::optional<std::string> visitor_id;  // ignored without consent: no visitor is kept
  bool consent = false;
  dni::Visit visit;
  std::string user_agent;
  std::string ip_truncated;  // cidr's anonymized_address
};

struct DniNumberAnswer {
  std::string session_id;
  std::optional<std::string> visitor_id;  // none without consent
  dni::Pick verdict = dni::Pick::exhausted;
  std::string number;  // the pool number, or the fallback when exhausted
  Id assignment_id = 0;
};

// A pool as a site's number requests read it.
struct DniSitePool {
  Id id = 0;  // the pool's source id
  DniPoolSettings settings;

  // The pool as choose_pool reads it.
  dni::PoolRules rules() const {
    return {.pool_id = id, .is_default = settings.is_default, .rules = settings.match_rules};
  }
};

// The customer a site's script names by the customer's uuid (Freespee's `advid`): a visitor's
// browser knows no partner, so the public number requests start from this.
struct DniSite {
  Id partner_id = 0;
  Id customer_id = 0;
  std::string country;  // the partner's, for reading the numbers printed on the page
  std::vector<std::string> denied_user_agents;  // the partner's (Partner::dni_denied_user_agents)
  // The customer's pools, settings only: which one serves a visit and what the page may ask.
  std::vector<DniSitePool> pools;
};

// A session as stored: what attribution copies onto a call.
struct DniSession {
  std::string id;
  std::optional<std::string> visitor_id;
  Id pool_id = 0;
  std::string landing_url;
  std::string referrer;
  dni::UtmValues utm;
  dni::ClickIds click_ids;
  std::optional<std::string> ga_client_id;
  std::string user_agent;
  std::string ip_truncated;
  std::vector<std::pair<std::string, std::string>> custom_parameters;
  bool consent = false;
  TimePoint created_at;
  TimePoint last_seen_at;
};

// The hand-outs of one number that may explain a call at a moment, with the timing of the
// pool that handed them out: what dni::attribute_call needs.
struct DniNumberHistory {
  Id pool_id = 0;
  Id partner_id = 0;
  Id customer_id = 0;
  dni::PoolTiming timing;
  std::vector<dni::Assignment> assignments;
};

// A pool's hand-outs over a period, for dni::pool_health.
struct DniPoolUsage {
  std::size_t sessions = 0;
  std::vector<dni::HeldInterval> held;
  std::size_t exhaustion_events = 0;
  std::size_t numbers = 0;          // in the pool now, removed ones in quarantine left out
  std::size_t calls_matched = 0;    // inbound calls to its numbers that named a visit
  std::size_t calls_unmatched = 0;  // ... and that named none (the record says why)
};

// The dynamic-numbers part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects, except the lookups by number for the switch.
class DniStore {
 public:
  virtual ~DniStore() = default;

  // Creates the pool's source (kind dynamic, no tracking number) and its settings, and takes
  // `count` free numbers matching `numbers` as add_pool_numbers does, in one transaction: a
  // pool is never seen without the numbers it was created with. Too few free numbers:
  // ConflictError("no_free_number", "number") and nothing is written. NotFoundError when the
  // customer is not the partner's. `check_references` as in SourceStore::create_source.
  virtual DniPool create_pool(const Source& source, const DniPoolSettings& settings,
                              const NumberRequest& numbers = {}, int count = 0,
                              const std::function<void(ChangeLookups&)>& check_references = {}) = 0;
  virtual std::optional<DniPool> find_pool(Id partner_id, Id pool_id) = 0;
  // NotFoundError when the customer is not the partner's.
  virtual std::vector<DniPool> list_pools(Id partner_id, Id customer_id) = 0;
  // Changes the pool's source (name, medium, routing) and its settings in one transaction,
  // writing only what the change altered; nullopt when the pool is not the partner's.
  virtual std::optional<DniPool> change_pool(Id partner_id, Id pool_id,
                                             const Change<DniPool>& change) = 0;
  // Takes `count` free numbers matching `request` (exactly request.tracking_number, or any
  // with request.prefix) from the inventory, all or none: ConflictError("no_free_number",
  // "number") when there are not enough. NotFoundError when the pool is not the partner's.
  virtual std::vector<DniPoolNumber> add_pool_numbers(Id partner_id, Id pool_id,
                                                      const NumberRequest& request, int count) = 0;
  // Quarantines the number as a deleted source's is: no new hand-out, calls to it are refused
  // and recorded with the pool as their source (SourceStore::find_source_holding), and it
  // returns to the inventory after the partner's quarantine days. NotFoundError when the pool is
  // not the partner's or the number not in it.
  virtual DniPoolNumber remove_pool_number(Id partner_id, Id pool_id,
                                           const std::string& number) = 0;

  // Across partners, for the public number requests: the customer whose uuid this is, with
  // its pools' settings, in one transaction.
  virtual std::optional<DniSite> find_site(const std::string& customer_uuid) = 0;
  // Finds or creates the session, picks its number with dni::pick_number and writes the
  // assignment, in one transaction: two requests (on any nodes) never get one number for two
  // live sessions. NotFoundError when the pool is not the partner's;
  // ConflictError("pool_not_active", "pool_id") when its source is not active.
  virtual DniNumberAnswer request_number(const DniNumberRequest& request) = 0;
  // request_number without waiting for the commit (store.hpp, Later).
  virtual void request_number_then(const DniNumberRequest& request,
                                   Later<DniNumberAnswer> answered) {
    answer_now<DniNumberAnswer>([&] { return request_number(request); }, answered);
  }
  // Extends the lease of the session's number if it is still leased (dni::accept_heartbeat);
  // false otherwise, and then the script asks for a number again.
  virtual bool heartbeat(Id partner_id, Id pool_id, const std::string& session_id) = 0;
  // heartbeat without waiting for the commit (store.hpp, Later).
  virtual void heartbeat_then(Id partner_id, Id pool_id, const std::string& session_id,
                              Later<bool> answered) {
    answer_now<bool>([&] { return heartbeat(partner_id, pool_id, session_id); }, answered);
  }
  // Ends the lease of the session's number now; grace and cooldown follow. False when it
  // held none leased.
  virtual bool release(Id partner_id, Id pool_id, const std::string& session_id) = 0;
  virtual std::optional<DniSession> find_session(Id partner_id, const std::string& session_id) = 0;

  // Across partners, for attribution: the hand-outs of `number` that began at or before `at`
  // (the latest few, newest first), in the pool that held the number then; nullopt when no
  // pool ever handed it out by then.
  virtual std::optional<DniNumberHistory> number_history(const std::string& number,
                                                         TimePoint at) = 0;
  // Remembers a signed request's signature until `expires_at`; false when it was already seen
  // and has not expired (a replay), on any node. Expired signatures are purged on the way.
  virtual bool remember_signature(Id partner_id, const std::string& signature,
                                  TimePoint expires_at) = 0;
  // A data subject's request: the visit facts of the partner's sessions of `visitor_id` (a
  // consenting visitor's cookie) or of the one session `session_id` are blanked, the visitor is
  // forgotten, and the calls those sessions explain, and the call events already stored for
  // them, lose their visit (the reason they had one stays). The hand-outs keep their times, so
  // a number still held stays held and pool health still counts it. One transaction. Returns
  // the sessions erased; NotFoundError when the partner has none by that id.
  struct Erased {
    std::size_t sessions = 0;
    std::size_t calls = 0;
  };
  virtual Erased erase_visit_data(Id partner_id, const std::optional<std::string>& visitor_id,
                                  const std::optional<std::string>& session_id) = 0;
  // Across partners, for the sweeper: deletes the sessions each partner's retention
  // (Partner::dni_retention_days) has passed since their last sign of life, with their
  // hand-outs, and the visitors left without a session. One transaction per partner: a partner
  // whose purge fails goes to `on_failure` (its id) and the others go on. Returns the number
  // of sessions deleted.
  virtual std::size_t purge_expired_visits(const RowFailureHandler& on_failure = {}) = 0;
  // The hand-outs that began in [from, to). NotFoundError when the pool is not the partner's.
  virtual DniPoolUsage pool_usage(Id partner_id, Id pool_id, TimePoint from, TimePoint to) = 0;
};

}  // namespace callsight
