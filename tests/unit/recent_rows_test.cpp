#include "store/sql/recent_rows.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace callsight {
namespace {

using RecentTexts = RecentRows<int, std::string>;
using std::chrono::milliseconds;

const RecentTexts::Clock::time_point kReadAt{std::chrono::hours(1)};

TEST(RecentRows, AnswersWhileTheGenerationHoldsAndTheLifetimeLasts) {
  RecentTexts rows(10, milliseconds(500));
  rows.put(7, std::make_shared<const std::string>("row"), 3, kReadAt);
  ASSERT_NE(rows.find(7, 3, kReadAt + milliseconds(499)), nullptr);
  EXPECT_EQ(*rows.find(7, 3, kReadAt + milliseconds(499)), "row");
  EXPECT_EQ(rows.find(7, 3, kReadAt + milliseconds(500)), nullptr);  // another node's change
  EXPECT_EQ(rows.find(8, 3, kReadAt), nullptr);
}

// A write on this node ends: every row read before it is read again.
TEST(RecentRows, AnyOtherGenerationMisses) {
  RecentTexts rows(10, milliseconds(500));
  rows.put(7, std::make_shared<const std::string>("row"), 3, kReadAt);
  EXPECT_EQ(rows.find(7, 4, kReadAt), nullptr);
  EXPECT_EQ(rows.find(7, 2, kReadAt), nullptr);
}

// The reader took generation 3 before its read and a write ended during it (now 4): what it
// read may be from before the write, so it must never be answered.
TEST(RecentRows, ARowReadAcrossAWriteIsDeadOnArrival) {
  RecentTexts rows(10, milliseconds(500));
  rows.put(7, std::make_shared<const std::string>("maybe old"), 3, kReadAt);
  EXPECT_EQ(rows.find(7, 4, kReadAt), nullptr);
  rows.put(7, std::make_shared<const std::string>("new"), 4, kReadAt);
  EXPECT_EQ(*rows.find(7, 4, kReadAt), "new");
}

TEST(RecentRows, NeverHoldsMoreThanItsCapacity) {
  RecentTexts rows(2, milliseconds(500));
  rows.put(1, std::make_shared<const std::string>("a"), 1, kReadAt);
  rows.put(2, std::make_shared<const std::string>("b"), 1, kReadAt);
  rows.put(2, std::make_shared<const std::string>("b2"), 1, kReadAt);  // replaces, still 2
  EXPECT_EQ(*rows.find(1, 1, kReadAt), "a");
  rows.put(3, std::make_shared<const std::string>("c"), 1, kReadAt);  // full: all go
  EXPECT_EQ(rows.find(1, 1, kReadAt), nullptr);
  EXPECT_EQ(rows.find(2, 1, kReadAt), nullptr);
  EXPECT_EQ(*rows.find(3, 1, kReadAt), "c");
}

}  // namespace
}  // namespace callsight
