#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/metrics.hpp"
#include "core/call_record.hpp"
#include "core/clock.hpp"
#include "core/number_route.hpp"
#include "store/call_record_store.hpp"
#include "store/customer_store.hpp"
#include "store/partner_store.hpp"
#include "store/source_store.hpp"
#include "store/store.hpp"
#include "switch/edge_routes.hpp"
#include "switch/record_batcher.hpp"

namespace callsight::switching {

// A new call as the switch sees it; numbers as received, not normalised. The caller is
// whatever SIP sent (valid UTF-8: the wire layer cleans it).
struct RouteRequest {
  std::string switch_call_id;
  std::string caller;
  std::string dialled;
  std::optional<TimePoint> at;  // when the edge received the call; absent: now
};

// A call the edge routed itself from its copy of the routes (its "routed" event): what it
// did, for the record. tracking_number is E.164, the copy's own.
struct EdgeRoutedCall {
  std::string switch_call_id;
  std::string tracking_number;
  std::string caller;  // as SIP sent it
  TimePoint at;        // when the edge received the call
  RouteAction action = RouteAction::reject;
  std::string answering_number;  // forward
  int sip_status = 0;            // reject
  std::string reason;            // reject
  bool record = false;
  bool voicemail_on_busy = false;
  bool voicemail_on_no_answer = false;
  bool quarantined = false;  // reject: the number was in quarantine
};

// Where the call goes. cdr_id is absent only when no customer owns the dialled number:
// such calls are nobody's to report.
struct RouteDecision {
  RouteAction action = RouteAction::reject;
  std::optional<Id> cdr_id;
  std::string destination;  // forward: E.164 answering number
  std::string caller_id;    // forward: what the answering party is shown
  bool record = false;
  bool voicemail_on_busy = false;
  bool voicemail_on_no_answer = false;
  bool notice = false;               // forward: the recording notice first
  std::optional<Id> whisper_source;  // forward: whose whisper the answering party hears
  // voicemail, and forward with a diversion: the uploaded greeting the voicemail leg plays.
  std::optional<Id> greeting;
  int sip_status = 0;  // reject: 403 or 404
  std::string reason;  // reject: SIP reason phrase
};

// An outbound call the switch should place for a due callback: dial the customer's agent,
// then connect the requester, showing caller_id.
struct CallbackDial {
  std::string switch_call_id;
  Id cdr_id = 0;
  Id callback_id = 0;
  std::string agent_number;
  std::string requester_number;
  std::string caller_id;
  bool record = false;
};

// The decisions behind the switch API: which calls get through and where to, and what
// becomes of their records. Thread-safe as far as the Store is.
class CallRouter {
 public:
  // Counts decisions and outcomes into `metrics` (docs/observability.md, "Calls").
  // `routes_refresh`: how long the numbers in use and what their routes follow from, read
  // at once, decide calls before they are read again (the routing snapshot; see route()).
  // Zero reads them for every call (tests that change data between calls).
  CallRouter(Store& store, const Clock& clock, MetricsRegistry& metrics,
             std::chrono::milliseconds routes_refresh = std::chrono::milliseconds(0));

  // Decides and records the call. Asking twice about one switch_call_id gives the first
  // decision again and one record. A number in the routing snapshot is decided from memory
  // (core's route of the number, valid until its `valid until`, and the customer's
  // blacklist) and only its record is written; a number the snapshot does not hold, or whose
  // route ran out, is read from the store.
  RouteDecision route(const RouteRequest& request);

  // What route() returns (or throws: then `decision` is empty and `error` set).
  using Decided =
      std::function<void(std::optional<RouteDecision> decision, std::exception_ptr error)>;
  // route() without waiting for the record's durable commit: `decided` is called once it is
  // durable, on the thread that committed it (this one, before this returns, when the write
  // was not shared or the number was read from the store). So a request's thread serves other
  // requests meanwhile instead of sleeping on the commit, and the records of every request
  // that arrives meanwhile are written in the next batch.
  void route_then(const RouteRequest& request, Decided decided);

  // A change made on this node (the partner API) may have changed a route: the next call
  // reads the routing snapshot again. Other nodes' changes reach it within routes_refresh.
  void routing_changed();

  // Records the calls an edge routed from its copy, as the edge routed them, once per call
  // id, all in one write transaction (one durable commit per edge delivery, not per call).
  // Returns how many were recorded; a call whose number no customer holds any more is
  // logged, counted and skipped.
  std::size_t record_edge_routed(std::span<const EdgeRoutedCall> calls);

  // The edges' copy of every route now (switch/edge_routes.hpp). Worked out at most every
  // kEdgeRoutesRefresh per node, however many edges ask: a change reaches an edge within
  // that plus the edge's own poll interval.
  static constexpr std::chrono::milliseconds kEdgeRoutesRefresh{200};
  std::shared_ptr<const EdgeRouteTable> edge_routes();

  // Every number in use with what its route follows from (SourceStore::routing_table), its
  // route worked out when read, and the blacklists of its customers.
  struct RoutingSnapshot {
    RoutingTable table;
    std::unordered_map<std::string, std::size_t> by_form;  // each dialled form: its number
    std::vector<std::optional<TimedNumberRoute>> routes;   // at computed_at; none: unreadable
    std::map<Id, std::set<std::string, std::less<>>> blacklisted;  // callers (E.164) by customer
    TimePoint computed_at;
    std::uint64_t generation = 0;  // of routing_changed() when it was read
    std::chrono::steady_clock::time_point read_at;
  };

  // Applies a switch event to the call's record and settles its callback, if any.
  // NotFoundError when the switch never routed that call id.
  CallRecord report(const std::string& switch_call_id, const CallEvent& event);

  // report for an edge's delivery of many events, in one write transaction. Events for calls
  // the switch never routed are logged, counted and skipped; the rest apply.
  struct BatchOutcome {
    std::size_t applied = 0;
    std::size_t unknown_calls = 0;
  };
  BatchOutcome report_batch(std::span<const SwitchCallEvent> events);

  // The call sweep: closes the call as unknown if it is still open `max_call_length` after
  // its start, settling its callback; false when it is not (its end arrived meanwhile).
  bool close_overdue_call(Id cdr_id, std::chrono::seconds max_call_length);

  // Claims up to `limit` callbacks that are due now and records an outbound call for each.
  std::vector<CallbackDial> claim_callbacks(int limit);

 private:
  RouteDecision route_new_call(const RouteRequest& request);
  // The decision from the routing snapshot, written; nullopt when the snapshot cannot tell.
  std::optional<RouteDecision> route_from_snapshot(const RouteRequest& request, TimePoint now);
  // A call routed from the snapshot, before its record is written.
  struct SnapshotRoute {
    CallRecord record;
    NumberRoute route;
    std::string_view decision;  // the routes_ label
  };
  std::optional<SnapshotRoute> snapshot_route(const RouteRequest& request, TimePoint now);
  // The answer once the record is stored.
  RouteDecision snapshot_decision(const SnapshotRoute& routed, const RecordedCall& stored);
  // The first decision of a call asked about again, as route() answers it.
  RouteDecision repeated_decision(const CallRecord& known);
  std::shared_ptr<const RoutingSnapshot> routing_snapshot();
  // The record of a new call to the holder's number, before its route is taken.
  struct NewCall {
    CallRecord record;
    bool caller_is_number = false;
    bool show_tracking_number = false;
    bool whisper = false;  // the customer's
  };
  // A source's partner and customer, read once per request: an edge delivery's calls share them.
  struct Holders {
    std::optional<Partner> partner;
    std::optional<Customer> customer;
  };
  using HoldersCache = std::map<std::pair<Id, Id>, Holders>;  // by partner and customer id
  std::optional<NewCall> new_call(const NumberHolder& holder, const std::string& switch_call_id,
                                  const std::string& caller, TimePoint start,
                                  HoldersCache& holders);
  void settle_callback(const CallRecord& record);
  void count_end(const CallRecord& record);
  // What report does after the store applied an event.
  void account(const CallEvent& event, const AppliedCallEvent& applied);

  Store& store_;
  const Clock& clock_;
  MetricFamily<Counter>& routes_;
  MetricFamily<Counter>& events_;
  MetricFamily<Counter>& ended_;
  Counter& callback_dials_;
  Counter& unknown_call_events_;
  MetricFamily<Counter>& edge_routed_;
  const std::chrono::milliseconds routes_refresh_;
  RecordBatcher records_;  // route() writes each new call's record through it
  std::mutex edge_routes_mutex_;
  std::shared_ptr<const EdgeRouteTable> edge_routes_;
  std::chrono::steady_clock::time_point edge_routes_made_;
  std::atomic<std::uint64_t> routing_generation_{0};
  std::mutex snapshot_mutex_;
  std::shared_ptr<const RoutingSnapshot> snapshot_;           // under snapshot_mutex_
  bool snapshot_reading_ = false;                             // a thread reads a new one
  std::chrono::steady_clock::time_point snapshot_failed_at_;  // the last read that failed
  // Each number's dialled forms, for the next snapshot; only the thread reading one uses it.
  std::unordered_map<std::string, std::vector<std::string>> forms_of_;
};

}  // namespace callsight::switching
