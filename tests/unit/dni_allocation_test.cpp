#include <gtest/gtest.h>

#include "core/dni/allocation.hpp"
#include "dni_test_support.hpp"

namespace callsight::dni {
namespace {

using test_support::at;
using test_support::handed_out;
using test_support::kDefaultTiming;

PoolNumberState number(Id id, std::optional<Assignment> latest = std::nullopt) {
  return {id, std::move(latest)};
}

TEST(DniAllocation, AReloadKeepsTheSessionsLeasedNumber) {
  const std::vector<PoolNumberState> numbers{
      number(1), number(2, handed_out("S", "2026-01-01 10:00:00", "2026-01-01 10:10:00"))};
  const auto pick = pick_number(numbers, kDefaultTiming, at("2026-01-01 10:20:00"), "S", 2);
  EXPECT_EQ(pick.verdict, Pick::kept);
  EXPECT_EQ(pick.number_id, 2);
}

TEST(DniAllocation, ANumberNowHeldByAnotherSessionIsNotKept) {
  const std::vector<PoolNumberState> numbers{
      number(1), number(2, handed_out("T", "2026-01-01 10:00:00", "2026-01-01 10:10:00"))};
  const auto pick = pick_number(numbers, kDefaultTiming, at("2026-01-01 10:20:00"), "S", 2);
  EXPECT_EQ(pick.verdict, Pick::assigned);
  EXPECT_EQ(pick.number_id, 1);
}

TEST(DniAllocation, AnExpiredLeaseIsNotKeptEvenForItsOwnSession) {
  const std::vector<PoolNumberState> numbers{
      number(1, handed_out("T", "2026-01-01 08:00:00", "2026-01-01 08:00:00")),
      number(2, handed_out("S", "2026-01-01 10:00:00", "2026-01-01 10:00:00"))};
  const auto pick = pick_number(numbers, kDefaultTiming, at("2026-01-01 10:35:00"), "S", 2);
  EXPECT_EQ(pick.verdict, Pick::assigned);
  EXPECT_EQ(pick.number_id, 1);
}

TEST(DniAllocation, PicksTheNumberFreeTheLongestNeverAssignedFirst) {
  const auto now = at("2026-01-01 12:00:00");
  std::vector<PoolNumberState> numbers{
      number(1, handed_out("A", "2026-01-01 09:00:00", "2026-01-01 09:30:00")),
      number(2, handed_out("B", "2026-01-01 08:00:00", "2026-01-01 09:00:00")),
      number(3, handed_out("C", "2026-01-01 11:50:00", "2026-01-01 11:50:00")),
  };
  EXPECT_EQ(pick_number(numbers, kDefaultTiming, now, "S", std::nullopt).number_id, 2);
  numbers.push_back(number(9));
  numbers.push_back(number(7));
  EXPECT_EQ(pick_number(numbers, kDefaultTiming, now, "S", std::nullopt).number_id, 7);
}

TEST(DniAllocation, ExhaustedWhenEveryNumberIsLeasedInGraceOrCooling) {
  const std::vector<PoolNumberState> numbers{
      number(1, handed_out("A", "2026-01-01 10:00:00", "2026-01-01 10:00:00")),  // cooldown
      number(2, handed_out("B", "2026-01-01 10:00:00", "2026-01-01 10:05:00")),  // grace
      number(3, handed_out("C", "2026-01-01 10:30:00", "2026-01-01 10:30:00")),  // leased
  };
  const auto pick =
      pick_number(numbers, kDefaultTiming, at("2026-01-01 10:42:00"), "S", std::nullopt);
  EXPECT_EQ(pick.verdict, Pick::exhausted);
  EXPECT_FALSE(pick.number_id.has_value());
  EXPECT_EQ(pick_number({}, kDefaultTiming, at("2026-01-01 10:42:00"), "S", std::nullopt).verdict,
            Pick::exhausted);
  EXPECT_EQ(
      pick_number(numbers, kDefaultTiming, at("2026-01-01 10:45:00"), "S", std::nullopt).number_id,
      1);
}

TEST(DniAllocation, ANewHandOutBeyondThePartnersCapIsCapped) {
  const Allocation assigned{Pick::assigned, 7};
  EXPECT_EQ(apply_number_cap(assigned, 2, 3).verdict, Pick::assigned);
  EXPECT_EQ(apply_number_cap(assigned, 2, 3).number_id, 7);
  const auto capped = apply_number_cap(assigned, 3, 3);
  EXPECT_EQ(capped.verdict, Pick::capped);
  EXPECT_FALSE(capped.number_id.has_value());
  EXPECT_EQ(apply_number_cap(assigned, 0, 0).verdict, Pick::capped);
}

TEST(DniAllocation, TheCapNeverTakesANumberASessionHolds) {
  const Allocation kept{Pick::kept, 7};
  EXPECT_EQ(apply_number_cap(kept, 10, 3).verdict, Pick::kept);
  const Allocation exhausted{Pick::exhausted, std::nullopt};
  EXPECT_EQ(apply_number_cap(exhausted, 10, 3).verdict, Pick::exhausted);
}

TEST(DniAllocation, EachVerdictHasAReason) {
  EXPECT_NE(reason(Pick::kept), reason(Pick::assigned));
  EXPECT_NE(reason(Pick::assigned), reason(Pick::exhausted));
  EXPECT_NE(reason(Pick::exhausted).find("fallback"), std::string_view::npos);
  EXPECT_NE(reason(Pick::capped).find("DNCS number cap has been hit"), std::string_view::npos);
}

}  // namespace
}  // namespace callsight::dni
