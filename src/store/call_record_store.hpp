#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/call_record.hpp"
#include "core/clock.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

// Which call records a partner asks for (GET /statistics/cdrs and /out).
struct CallRecordFilter {
  CallDirection direction = CallDirection::inbound;
  std::optional<TimePoint> from;  // start >= from
  std::optional<TimePoint> to;    // start <= to
  std::optional<Id> customer_id;
  std::optional<Id> source_id;
  std::optional<Id> cdr_id;
  // Exactly this caller, as stored (the calls made with a pincode).
  std::optional<std::string> caller;
  // Any of these statuses (core's call_status); empty: every status.
  std::vector<CallStatus> statuses;
  bool newest_first = false;  // order by start then id, descending when set
  // Not a filter: false leaves every record's attribution out (absent), for listings that do
  // not show it (only extended CDRs do); reading it was 6% of a 1000-row page.
  bool with_attribution = true;
};

// A call record after an event and before it, so callers see what the event changed: a call
// ends once, however often the switch repeats the event that ended it.
struct AppliedCallEvent {
  CallRecord record;
  CallRecord previous;
};

// A record as record_calls stored it: `inserted` false when a record with its switch_call_id
// was there already (`record` is that one then).
struct RecordedCall {
  CallRecord record;
  bool inserted = false;
};

// One event the switch reported, for the call it names.
struct SwitchCallEvent {
  std::string switch_call_id;
  CallEvent event;
};

// The call-records part of the Store (see store.hpp). Every method is one transaction.
class CallRecordStore {
 public:
  virtual ~CallRecordStore() = default;

  // For the switch, across partners. Stores the record unless one with the same
  // switch_call_id exists, and returns the stored one with its id: asking twice about one
  // call gives one record and the first decision.
  virtual CallRecord record_call(const CallRecord& record) = 0;
  // record_call for each of an edge's routed calls in one write transaction, so a batch costs
  // one durable commit rather than one per call; one result per record, in the order given.
  virtual std::vector<RecordedCall> record_calls(std::span<const CallRecord> records) = 0;
  virtual std::optional<CallRecord> find_call_by_switch_id(std::string_view switch_call_id) = 0;
  // Loads the record, applies the event (core apply_call_event) and saves it, in one
  // write transaction, so concurrent events of one call cannot lose each other.
  // NotFoundError when no record has that switch_call_id.
  virtual AppliedCallEvent apply_event(std::string_view switch_call_id, const CallEvent& event) = 0;
  // apply_event for each of an edge's delivery in one write transaction, so a batch costs one
  // durable commit rather than one per event. Events of one call are applied in the order
  // given; the result holds one entry per event, in the order given, nullopt for an event
  // whose call has no record.
  virtual std::vector<std::optional<AppliedCallEvent>> apply_events(
      std::span<const SwitchCallEvent> events) = 0;

  // For the call sweep, across partners: the ids of calls started at or before `started_before`
  // that have not ended, oldest first, at most `limit`.
  virtual std::vector<Id> open_call_ids(TimePoint started_before, int limit) = 0;
  // Closes the call as unknown (core close_as_unknown) with its call.completed event, if it
  // is still overdue at `now`; nullopt when it is not (its end arrived meanwhile).
  virtual std::optional<AppliedCallEvent> close_overdue_call(
      Id cdr_id, TimePoint now, std::chrono::seconds max_call_length) = 0;

  // For the partner API: only that partner's records.
  virtual std::optional<CallRecord> find_call(Id partner_id, Id cdr_id) = 0;
  virtual Page<CallRecord> list_calls(Id partner_id, const CallRecordFilter& filter,
                                      PageRequest page) = 0;

  // A data subject's request: the caller's number (as stored, E.164) is taken off the
  // partner's records that hold it, in one transaction: the call records in both directions
  // (the caller becomes empty; counts, times and durations stay), the call events stored for
  // them (their `anum` as an erased record renders it), the callbacks that would call it (its
  // requester number becomes empty, and one not placed yet is completed without a call) and
  // the PINs given to it (their phone number becomes none) and the recordings of those calls
  // (removed; their files, named in recording_files, are the caller's to delete once this
  // returned). The blacklists keep it: they are
  // the customers' own decision to refuse the number. NotFoundError when no record of the
  // partner holds it.
  struct ErasedCaller {
    std::size_t calls = 0;
    std::size_t events = 0;
    std::size_t callbacks = 0;
    std::size_t pincodes = 0;
    std::size_t recordings = 0;
    std::vector<std::string> recording_files;  // relative to the recordings directory
  };
  virtual ErasedCaller erase_caller(Id partner_id, const std::string& caller) = 0;
};

}  // namespace callsight
