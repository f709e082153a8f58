#pragma once

#include <optional>
#include <string>

#include "core/voicemail_greeting.hpp"
#include "store/store.hpp"

namespace callsight {

// The greetings part of the Store (see store.hpp). Every method is one transaction and
// reaches only the given partner's objects. A customer sees its own greetings and the
// system greetings (customer_id null, locked); used_by lists only that customer's sources
// that are not archived.
class GreetingStore {
 public:
  virtual ~GreetingStore() = default;

  // A greeting of greeting.customer_id with greeting.sounddata_base64 (may be empty: not
  // yet recorded) and the PIN its recording call must enter. NotFoundError: customer.
  virtual VoicemailGreeting create_greeting(Id partner_id, const VoicemailGreeting& greeting,
                                            const std::optional<std::string>& record_pin) = 0;
  // with_sound: also load sounddata_base64.
  virtual std::optional<VoicemailGreeting> find_greeting(Id partner_id, Id customer_id,
                                                         Id greeting_id, bool with_sound) = 0;
  // System greetings and the customer's own, by id; empty when the customer is not the
  // partner's.
  virtual Page<VoicemailGreeting> list_greetings(Id partner_id, Id customer_id,
                                                 PageRequest page) = 0;
  // NotFoundError; ConflictError("locked", "vm_greeting_id") for a system greeting.
  virtual VoicemailGreeting rename_greeting(Id partner_id, Id customer_id, Id greeting_id,
                                            const std::string& name) = 0;
  // NotFoundError; ConflictError("locked", ...) as rename; ConflictError("in_use",
  // "vm_greeting_id") while a campaign or a source that is not archived uses it (archived
  // sources lose their vm_greeting_id).
  virtual VoicemailGreeting delete_greeting(Id partner_id, Id customer_id, Id greeting_id) = 0;
};

}  // namespace callsight
