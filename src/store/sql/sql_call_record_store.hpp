#pragma once

#include "store/call_record_store.hpp"
#include "store/sql/cdr_listing_cache.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

// Inside the caller's transaction: the call record with that id, its row locked when asked
// (PostgreSQL; SQLite's write transaction holds the file).
std::optional<CallRecord> find_call_record(SqlDatabase& db, Id cdr_id, bool lock_row);

// The same by the switch's id for the call (its SIP Call-ID).
std::optional<CallRecord> find_call_record(SqlDatabase& db, std::string_view switch_call_id,
                                           bool lock_row);

// The partner's record counts (cdr_counts, docs/storage.md "CDR listing"), kept in the
// transaction that changes the records. Every write that adds or removes a partner's records,
// or changes a field a listing filters by, goes through one of these:
// The customer's records are about to be deleted (with the customer).
void count_customers_cdrs_removed(SqlDatabase& db, Id partner_id, Id customer_id);
// Filtered fields of the partner's records changed (a caller erased): only `changes` moves.
void count_cdrs_changed(SqlDatabase& db, Id partner_id);
// Counts every record again (after an import, whose stream may carry any counts).
void recount_cdrs(SqlDatabase& db);

class SqlCallRecordStore final : public CallRecordStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  CallRecord record_call(const CallRecord& record) override;
  std::vector<RecordedCall> record_calls(std::span<const CallRecord> records) override;
  std::optional<CallRecord> find_call_by_switch_id(std::string_view switch_call_id) override;
  AppliedCallEvent apply_event(std::string_view switch_call_id, const CallEvent& event) override;
  std::vector<std::optional<AppliedCallEvent>> apply_events(
      std::span<const SwitchCallEvent> events) override;
  std::vector<Id> open_call_ids(TimePoint started_before, int limit) override;
  std::optional<AppliedCallEvent> close_overdue_call(Id cdr_id, TimePoint now,
                                                     std::chrono::seconds max_call_length) override;

  std::optional<CallRecord> find_call(Id partner_id, Id cdr_id) override;
  Page<CallRecord> list_calls(Id partner_id, const CallRecordFilter& filter,
                              PageRequest page) override;
  ErasedCaller erase_caller(Id partner_id, const std::string& caller) override;

 private:
  // Inserts the record with its events unless its call has one; counts nothing (the caller
  // counts an inserted record, last). Inside a transaction the caller holds.
  RecordedCall record_call_locked(const CallRecord& record);
  // Run inside a transaction their caller holds.
  std::optional<CallRecord> find_by_switch_id_locked(std::string_view switch_call_id,
                                                     bool lock_row);
  void write_event_facts(const CallRecord& record);
  // apply_event's work inside the caller's write transaction; nullopt when no record.
  std::optional<AppliedCallEvent> apply_event_locked(std::string_view switch_call_id,
                                                     const CallEvent& event);
  // Which visit made the call (dni::attribute_call on the number's hand-outs at its start).
  CallAttribution attribute(const CallRecord& record);
  bool is_pool(Id source_id);
  void erase_recording(Id cdr_id, ErasedCaller& erased);

  CdrListingCache listing_cache_;
};

}  // namespace callsight
