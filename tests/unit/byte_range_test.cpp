#include "http/byte_range.hpp"

#include <gtest/gtest.h>

namespace callsight::http {
namespace {

std::optional<ByteRange> range_of(std::string_view header, std::int64_t size) {
  const auto parsed = parse_byte_range(header, size);
  if (!parsed || !std::holds_alternative<ByteRange>(*parsed)) return std::nullopt;
  return std::get<ByteRange>(*parsed);
}

bool unsatisfiable(std::string_view header, std::int64_t size) {
  const auto parsed = parse_byte_range(header, size);
  return parsed && std::holds_alternative<UnsatisfiableRange>(*parsed);
}

TEST(ByteRange, ABrowserSeeksFromAnOffset) {
  const auto r = range_of("bytes=100-", 1000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 100);
  EXPECT_EQ(r->last, 999);
}

TEST(ByteRange, AClosedRangeIsClippedToTheBody) {
  EXPECT_EQ(range_of("bytes=0-1", 1000)->last, 1);
  EXPECT_EQ(range_of("bytes=900-5000", 1000)->last, 999);
}

TEST(ByteRange, ASuffixAsksForTheLastBytes) {
  EXPECT_EQ(range_of("bytes=-100", 1000)->first, 900);
  EXPECT_EQ(range_of("bytes=-5000", 1000)->first, 0);
}

TEST(ByteRange, BeyondTheBodyIsUnsatisfiable) {
  EXPECT_TRUE(unsatisfiable("bytes=1000-", 1000));
  EXPECT_TRUE(unsatisfiable("bytes=-0", 1000));
  EXPECT_TRUE(unsatisfiable("bytes=0-", 0));
}

TEST(ByteRange, WhatDoesNotParseServesTheWholeBody) {
  EXPECT_FALSE(parse_byte_range(std::nullopt, 1000));
  for (const auto* header : {"items=0-1", "bytes=", "bytes=a-b", "bytes=5-1", "bytes=0-1,5-9",
                             "bytes=-", "bytes=+1-2", "bytes=99999999999999999999-"}) {
    EXPECT_FALSE(parse_byte_range(header, 1000)) << header;
  }
}

}  // namespace
}  // namespace callsight::http
