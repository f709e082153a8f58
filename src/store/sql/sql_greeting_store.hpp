#pragma once

#include "store/greeting_store.hpp"
#include "store/sql/sql_sub_store.hpp"

namespace callsight {

class SqlGreetingStore final : public GreetingStore, private SqlSubStore {
 public:
  using SqlSubStore::SqlSubStore;

  VoicemailGreeting create_greeting(Id partner_id, const VoicemailGreeting& greeting,
                                    const std::optional<std::string>& record_pin) override;
  std::optional<VoicemailGreeting> find_greeting(Id partner_id, Id customer_id, Id greeting_id,
                                                 bool with_sound) override;
  Page<VoicemailGreeting> list_greetings(Id partner_id, Id customer_id, PageRequest page) override;
  VoicemailGreeting rename_greeting(Id partner_id, Id customer_id, Id greeting_id,
                                    const std::string& name) override;
  VoicemailGreeting delete_greeting(Id partner_id, Id customer_id, Id greeting_id) override;

 private:
  // The helpers below run inside a transaction their caller holds.
  std::optional<VoicemailGreeting> find_locked(Id partner_id, Id customer_id, Id greeting_id,
                                               bool with_sound);
  void fill_used_by(VoicemailGreeting& greeting, Id customer_id);
  // The customer's own greeting, for a change: NotFoundError, ConflictError("locked").
  VoicemailGreeting changeable(Id partner_id, Id customer_id, Id greeting_id);
};

}  // namespace callsight
