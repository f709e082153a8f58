#include <gtest/gtest.h>

#include "core/dni/pool_health.hpp"
#include "dni_test_support.hpp"

namespace callsight::dni {
namespace {

using test_support::at;

HeldInterval held(const char* from, const char* until) { return {at(from), at(until)}; }

TEST(DniPoolHealth, PeakIsTheMostHeldAtOnce) {
  EXPECT_EQ(peak_held({}), 0u);
  EXPECT_EQ(peak_held({held("2026-01-01 10:00:00", "2026-01-01 10:45:00"),
                       held("2026-01-01 10:10:00", "2026-01-01 10:55:00"),
                       held("2026-01-01 10:20:00", "2026-01-01 10:30:00"),
                       held("2026-01-01 10:50:00", "2026-01-01 11:35:00")}),
            3u);
}

TEST(DniPoolHealth, ANumberFreedAsAnotherIsTakenDoesNotOverlap) {
  EXPECT_EQ(peak_held({held("2026-01-01 10:45:00", "2026-01-01 11:30:00"),
                       held("2026-01-01 10:00:00", "2026-01-01 10:45:00")}),
            1u);
  EXPECT_EQ(peak_held({held("2026-01-01 10:00:00", "2026-01-01 10:00:00")}), 0u);
}

TEST(DniPoolHealth, RecommendedSizeHasHeadroomAndAFloor) {
  EXPECT_EQ(recommended_size(0), 4u);
  EXPECT_EQ(recommended_size(3), 4u);
  EXPECT_EQ(recommended_size(4), 5u);   // ceil(5.0) and peak + 1
  EXPECT_EQ(recommended_size(7), 9u);   // ceil(8.75)
  EXPECT_EQ(recommended_size(8), 10u);  // exactly 10
  EXPECT_EQ(recommended_size(100), 125u);
}

TEST(DniPoolHealth, ReportsPeakExhaustionAndSize) {
  const auto health = pool_health({held("2026-01-01 10:00:00", "2026-01-01 10:45:00"),
                                   held("2026-01-01 10:10:00", "2026-01-01 10:55:00")},
                                  7);
  EXPECT_EQ(health.peak_held, 2u);
  EXPECT_EQ(health.exhaustion_events, 7u);
  EXPECT_EQ(health.recommended_size, 4u);
}

}  // namespace
}  // namespace callsight::dni
