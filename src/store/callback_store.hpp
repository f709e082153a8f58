#pragma once

#include <optional>
#include <vector>

#include "core/callback.hpp"
#include "core/clock.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace callsight {

// Callbacks of one customer scheduled in [from, to] (both inclusive).
struct CallbackFilter {
  Id customer_id = 0;
  TimePoint from;
  TimePoint to;
};

// The callbacks part of the Store (see store.hpp). Every method is one transaction; the
// partner API's methods reach only the given partner's objects.
class CallbackStore {
 public:
  virtual ~CallbackStore() = default;

  // Stores a new callback (not completed, no attempts, no cdr_id); fills id and created.
  // NotFoundError when the customer is not the partner's.
  virtual Callback create_callback(Id partner_id, const Callback& callback) = 0;
  // Ordered by scheduled, then id.
  virtual Page<Callback> list_callbacks(Id partner_id, const CallbackFilter& filter,
                                        PageRequest page) = 0;

  // For the switch, across partners. Claims up to `limit` callbacks that are due at `now`
  // (not completed, an attempt left, scheduled or retry time reached), oldest first: each
  // claimed callback has its attempts counter raised and its next attempt moved to
  // now + retry_interval, so another node (or the next tick) does not dial it meanwhile and
  // an attempt that never reports back is retried. The switch then dials the agent and,
  // once connected or after the last attempt (attempts == retries + 1), completes it.
  virtual std::vector<Callback> due_callbacks(TimePoint now, int limit) = 0;
  // Marks the callback completed with the call record it produced. NotFoundError.
  virtual void complete_callback(Id callback_id, std::optional<Id> cdr_id) = 0;
  // The switch reports how an attempt ended: a connected attempt, or the last one allowed
  // (attempts == retries + 1), completes the callback with that attempt's call record;
  // otherwise it stays open for the retry its claim scheduled. NotFoundError.
  virtual void finish_attempt(Id callback_id, Id cdr_id, bool connected) = 0;
};

}  // namespace callsight
