#pragma once

#include <mutex>

#include "core/clock.hpp"
#include "store/greeting_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace callsight {

// Its schema, applied as migration 4 (see migrations.cpp).
extern const char kGreetingSchemaSql[];

// Shares SqliteStore's connection and mutex: every method locks the mutex for its whole
// transaction, like SqliteStore's own methods.
class SqliteGreetingStore final : public GreetingStore {
 public:
  SqliteGreetingStore(SqliteConnection& db, std::mutex& mutex, const Clock& clock)
      : db_(db), mutex_(mutex), clock_(clock) {}

  VoicemailGreeting create_greeting(Id partner_id, const VoicemailGreeting& greeting,
                                    const std::optional<std::string>& record_pin) override;
  std::optional<VoicemailGreeting> find_greeting(Id partner_id, Id customer_id, Id greeting_id,
                                                 bool with_sound) override;
  Page<VoicemailGreeting> list_greetings(Id partner_id, Id customer_id, PageRequest page) override;
  VoicemailGreeting rename_greeting(Id partner_id, Id customer_id, Id greeting_id,
                                    const std::string& name) override;
  VoicemailGreeting delete_greeting(Id partner_id, Id customer_id, Id greeting_id) override;

 private:
  using Lock = std::lock_guard<std::mutex>;
  using Mode = SqliteTransaction::Mode;

  // The helpers below run inside a transaction their caller holds, under mutex_.
  bool is_partners_customer(Id partner_id, Id customer_id);
  std::optional<VoicemailGreeting> find_locked(Id partner_id, Id customer_id, Id greeting_id,
                                               bool with_sound);
  void fill_used_by(VoicemailGreeting& greeting, Id customer_id);
  // The customer's own greeting, for a change: NotFoundError, ConflictError("locked").
  VoicemailGreeting changeable(Id partner_id, Id customer_id, Id greeting_id);

  SqliteConnection& db_;
  std::mutex& mutex_;
  const Clock& clock_;
};

}  // namespace callsight
