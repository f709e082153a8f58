#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/dni/number_hold.hpp"
#include "core/types.hpp"

// Which number of a pool a session gets. Pure: the store runs it inside the transaction that
// writes the assignment, over the numbers it read in that transaction.
namespace callsight::dni {

struct PoolNumberState {
  Id number_id = 0;
  std::optional<Assignment> latest;  // none: never handed out
};

enum class Pick {
  kept,       // the session's number is still leased: a reload shows the same number
  assigned,   // a free number, the one free the longest
  exhausted,  // nothing free: show the pool's fallback number
  capped,     // the partner's visitors hold as many numbers as its contract allows: fallback
};

struct Allocation {
  Pick verdict = Pick::exhausted;
  std::optional<Id> number_id;  // none when exhausted
};

// `session_number` is the number this session was last handed in this pool, if any. It is kept
// only while its latest assignment is this session's and still leased. Otherwise the free
// number that has been free the longest (a never-assigned one first, then by lowest id) is
// picked: least recently used, so each number rests as long as the pool allows and a late call
// to an old page is least likely to reach a new visitor.
Allocation pick_number(const std::vector<PoolNumberState>& numbers, const PoolTiming& timing,
                       TimePoint now, std::string_view session_id,
                       std::optional<Id> session_number);

// A partner may hold at most `cap` pool numbers leased at once (its contract's ceiling, and a
// brake on crawlers that take numbers): a new hand-out beyond it becomes `capped`. A session
// keeps a number it already holds, since that one is counted already.
Allocation apply_number_cap(Allocation allocation, std::size_t leased_by_partner, int cap);

std::string_view reason(Pick verdict);

}  // namespace callsight::dni
