#include "api/render.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callsight::api {
namespace {

// The CDR listing writes its body with append_json_text instead of dumping a Json tree; its
// bytes must be the dump's for any stored text, valid or not.
TEST(AppendJsonText, WritesWhatTheJsonDumpWritesForAnyText) {
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
  for (const auto& text : texts) {
    std::string out = "[";
    append_json_text(out, text);
    EXPECT_EQ(out, "[" + to_json_text(Json(text)))
        << "for " << Json(text).dump(-1, ' ', true, Json::error_handler_t::replace);
  }
}

}  // namespace
}  // namespace callsight::api
