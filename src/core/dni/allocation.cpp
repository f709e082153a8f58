#include "core/dni/allocation.hpp"

#include <tuple>

namespace callsight::dni {
namespace {

bool still_leased_to(const PoolNumberState& number, const PoolTiming& timing, TimePoint now,
                     std::string_view session_id) {
  return number.latest && number.latest->session_id == session_id &&
         hold_at(*number.latest, timing, now).state == HoldState::leased;
}

// Orders free numbers by how long they have been free; never-assigned ones rank first.
std::tuple<bool, TimePoint, Id> rest_order(const PoolNumberState& number,
                                           const PoolTiming& timing) {
  if (!number.latest) return {false, TimePoint{}, number.number_id};
  return {true, free_at(*number.latest, timing), number.number_id};
}

}  // namespace

Allocation pick_number(const std::vector<PoolNumberState>& numbers, const PoolTiming& timing,
                       TimePoint now, std::string_view session_id,
                       std::optional<Id> session_number) {
  const PoolNumberState* best = nullptr;
  for (const auto& number : numbers) {
    if (session_number == number.number_id && still_leased_to(number, timing, now, session_id)) {
      return {Pick::kept, number.number_id};
    }
    const bool free = !number.latest || hold_at(*number.latest, timing, now).assignable;
    if (free && (!best || rest_order(number, timing) < rest_order(*best, timing))) best = &number;
  }
  if (!best) return {Pick::exhausted, std::nullopt};
  return {Pick::assigned, best->number_id};
}

Allocation apply_number_cap(Allocation allocation, std::size_t leased_by_partner, int cap) {
  if (allocation.verdict != Pick::assigned) return allocation;
  if (cap >= 0 && leased_by_partner < static_cast<std::size_t>(cap)) return allocation;
  return {Pick::capped, std::nullopt};
}

std::string_view reason(Pick verdict) {
  switch (verdict) {
    case Pick::kept:
      return "the session's number is still leased";
    case Pick::assigned:
      return "the number free the longest";
    case Pick::exhausted:
      return "every number is held: the fallback number is shown";
    case Pick::capped:
      return "DNCS number cap has been hit: the fallback number is shown";
  }
  return "unknown";
}

}  // namespace callsight::dni
