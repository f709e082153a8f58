#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/clock.hpp"

// How long a pool number stays with the visitor it was handed to. A hand-out passes through
//   leased   until `lease` after the last sign of life (or until released, if earlier),
//   grace    a call still names the visit, but nobody else may get the number,
//   cooldown the number rests, so a caller reading it from an old page reaches no new visitor,
//   free     the number may be handed to another session.
namespace callsight::dni {

struct PoolTiming {
  std::chrono::seconds lease = std::chrono::minutes(30);
  std::chrono::seconds grace = std::chrono::minutes(10);
  std::chrono::seconds cooldown = std::chrono::minutes(5);

  bool operator==(const PoolTiming&) const = default;
};

// One hand-out of a pool number to a session (or, without consent, a page view).
struct Assignment {
  std::string session_id;
  TimePoint assigned_at;
  TimePoint last_seen_at;                // the assignment or its latest accepted heartbeat
  std::optional<TimePoint> released_at;  // the visitor gave it back before the lease ran out
  bool shown_as_fallback = false;        // the pool's fallback number, shared by all who see it
  bool consent = false;
};

enum class HoldState { leased, grace, cooldown, free };

struct Hold {
  HoldState state = HoldState::free;
  TimePoint lease_ends;
  TimePoint grace_ends;
  TimePoint free_at;
  bool assignable = false;  // may be handed to another session now
};

// The state of `assignment` at `now`, with the times each stage ends.
Hold hold_at(const Assignment& assignment, const PoolTiming& timing, TimePoint now);

// When the number of `assignment` may go to another session (the end of its cooldown), as
// things stand: a later heartbeat moves it.
TimePoint free_at(const Assignment& assignment, const PoolTiming& timing);

// A heartbeat extends the lease only while it is still running, and then returns true. One that
// arrives after the lease ended (a page asleep for half an hour) changes nothing and returns
// false, so the script asks for a number again. Why not revive it: nobody else can hold the number
// during grace and cooldown, so reviving would be safe, but then a hold would no longer end
// `lease + grace + cooldown` after the last *accepted* sign of life, which is what pool sizing and
// the "lease ended at" of an attribution rely on, and the store's heartbeat would have to decide
// between reviving and refusing; as it is, it is one conditional update.
bool accept_heartbeat(Assignment& assignment, const PoolTiming& timing, TimePoint now);

}  // namespace callsight::dni
