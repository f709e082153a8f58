#pragma once

#include "store/callback_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlCallbackStore final : public CallbackStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  Callback create_callback(Id partner_id, const Callback& callback) override;
  Page<Callback> list_callbacks(Id partner_id, const CallbackFilter& filter,
                                PageRequest page) override;
  std::vector<Callback> due_callbacks(TimePoint now, int limit) override;
  void complete_callback(Id callback_id, std::optional<Id> cdr_id) override;
  void finish_attempt(Id callback_id, Id cdr_id, bool connected) override;
};

}  // namespace callsight
