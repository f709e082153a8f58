#pragma once

#include "store/call_record_store.hpp"
#include "store/sqlite/sqlite_sub_store.hpp"

namespace callsight {

// Its schema, applied as migration 9 (see migrations.cpp).
extern const char kCallRecordSchemaSql[];

class SqliteCallRecordStore final : public CallRecordStore, private SqliteSubStore {
 public:
  using SqliteSubStore::SqliteSubStore;

  CallRecord record_call(const CallRecord& record) override;
  std::optional<CallRecord> find_call_by_switch_id(std::string_view switch_call_id) override;
  CallRecord apply_event(std::string_view switch_call_id, const CallEvent& event) override;

  std::optional<CallRecord> find_call(Id partner_id, Id cdr_id) override;
  Page<CallRecord> list_calls(Id partner_id, const CallRecordFilter& filter,
                              PageRequest page) override;

 private:
  // Run inside a transaction their caller holds, under mutex_.
  std::optional<CallRecord> find_by_switch_id_locked(std::string_view switch_call_id);
  void write_event_facts(const CallRecord& record);
};

}  // namespace callsight
