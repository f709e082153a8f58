#include "api/json_writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace callsight::api {
namespace {

// Bodies written with JsonWriter instead of dumping a Json tree must hold the dump's bytes for
// any stored text, valid or not.
TEST(JsonWriter, WritesWhatTheJsonDumpWritesForAnyText) {
  const std::vector<std::string> texts = {
      "",
      "+46701234xxx",
      "08 Stockholm",
      "Kund \"quoted\" \\ back",
      "tab\there\nnew\rline\b\f",
      std::string("nul\0inside", 10),
      "\x01\x1f control",
      "del \x7f",
      "Malmö åäö €",
      "emoji \xf0\x9f\x93\x9e",
      "Malm\xf6 (Latin-1)",
      "cut euro \xe2\x82",
      "overlong \xc0\xaf",
      "surrogate \xed\xa0\x80",
      "\xff\xfe",
      "mixed \"\xff\n",
      "\xe2\x82\xac\xe2\x82",
  };
  // Longer texts are checked eight bytes at a time: a byte to escape or not ASCII at every
  // place of such a text.
  auto all = texts;
  for (const std::string odd : {"\"", "\\", "\x1f", "\n", "\x7f", "ö", "\xff", "\x80"}) {
    for (std::size_t at = 0; at <= 20; ++at) {
      all.push_back(std::string(at, 'a') + odd + std::string(20 - at, 'b'));
    }
  }
  for (const auto& text : all) {
    JsonWriter out;
    out.begin();
    out.text("t", text);
    out.end();
    EXPECT_EQ(out.take(), to_json_text(Json{{"t", text}}))
        << "for " << Json(text).dump(-1, ' ', true, Json::error_handler_t::replace);
  }
}

// Every kind of field, many times over from a writer with no room to start with: each field
// past the buffer's end grows it, and the bytes are the Json dump's.
TEST(JsonWriter, GrowsItsBufferWithoutChangingWhatItWrites) {
  const auto at = TimePoint(std::chrono::seconds(1'767'225'600));  // 2026-01-01 00:00:00
  const std::vector<unsigned char> digest(16, 0xab);
  std::string digest_hex;
  for (int i = 0; i < 16; ++i) digest_hex += "ab";
  JsonWriter out;
  Json expected = Json::array();
  out.literal("[");
  for (int i = 0; i < 300; ++i) {
    if (i > 0) out.literal(",");
    out.begin();
    out.number("id", -9'223'372'036'854'775'807 - 1 + i);
    out.text("name", std::string(static_cast<std::size_t>(i), 'x') + "\"q\"");
    out.null("none");
    out.flag("on", i % 2 == 0);
    out.hex("digest", digest);
    out.ascii("status", "answered");
    out.time("at", at + std::chrono::seconds(i));
    out.text_or_null("custnr", std::nullopt);
    out.raw("rules", "[]");
    out.end();
    expected.push_back(Json{{"id", std::to_string(-9'223'372'036'854'775'807 - 1 + i)},
                            {"name", std::string(static_cast<std::size_t>(i), 'x') + "\"q\""},
                            {"none", nullptr},
                            {"on", i % 2 == 0 ? "1" : "0"},
                            {"digest", digest_hex},
                            {"status", "answered"},
                            {"at", format_utc(at + std::chrono::seconds(i))},
                            {"custnr", nullptr},
                            {"rules", Json::array()}});
  }
  out.literal("]");
  EXPECT_EQ(out.take(), to_json_text(expected));
  EXPECT_EQ(out.take(), "");  // taken once
}

// A time whose year has no four digits is written as format_utc writes it.
TEST(JsonWriter, WritesTimesOutsideFourDigitYearsAsFormatUtcDoes) {
  for (const auto seconds : {-62'167'219'201LL, 253'402'300'800LL, 0LL}) {
    const auto at = TimePoint(std::chrono::seconds(seconds));
    JsonWriter out;
    out.begin();
    out.time("at", at);
    out.end();
    EXPECT_EQ(out.take(), to_json_text(Json{{"at", format_utc(at)}})) << seconds;
  }
}

}  // namespace
}  // namespace callsight::api
