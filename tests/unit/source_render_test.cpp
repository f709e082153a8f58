// The wire form of a source, written straight into the body by api::write_source: these bytes
// are what the ordered_json rendering it replaced wrote (and what partners parse), so any
// change to the field order, a name, a null or an escape fails here.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "api/json_writer.hpp"
#include "api/source_fields.hpp"

namespace callsight::api {
namespace {

TimePoint at_seconds(std::int64_t unix_seconds) {
  return TimePoint(std::chrono::seconds(unix_seconds));
}

Source source_with_every_field() {
  Source s;
  s.id = 12;
  s.partner_id = 3;
  s.customer_id = 7;
  s.name = "Kund \"A\" \\ Malmö 📞";
  s.media = "web\tads";
  s.email = "a@example.com";
  s.smsnumber = "+46701234567";
  s.answering_number = "+46890510";
  s.tracking_number = "+46850000001";
  s.source_class = 7;
  s.campaign_id = 5;
  s.publisher_id = 42;
  s.vm_greeting_id = 9;
  s.notify_on_missed_call = 1;
  s.notify_on_new_voicemail = 0;
  s.vm_divert_all = 1;
  s.vm_divert_busy = 1;
  s.vm_divert_noanswer = 0;
  s.lifecycle.activation = at_seconds(1767323045);  // 2026-01-02 03:04:05
  s.lifecycle.expire = at_seconds(1935792000);      // 2031-05-06 00:00:00
  s.created = "2026-01-01 10:00:00";
  s.modified = "2026-01-02 11:00:00";
  s.alt_numbers = {
      {.alt_key = "3",
       .answering_number = "+46890512",
       .weekdays = 0b10011,  // mon, tue, fri
       .from_minute = 8 * 60,
       .to_minute = 17 * 60 + 30},
      {.alt_key = "4",
       .answering_number = "voicemail",
       .weekdays = 0b1100000,  // sat, sun
       .from_minute = 0,
       .to_minute = 1440},
  };
  return s;
}

std::string written(const Source& s, SourceStatus status) {
  JsonWriter writer;
  write_source(writer, s, status);
  return writer.take();
}

TEST(SourceRender, WritesEveryFieldInTheReferencesOrder) {
  EXPECT_EQ(
      written(source_with_every_field(), SourceStatus::active),
      R"({"source_id":"12","name":"Kund \"A\" \\ Malmö 📞","email":"a@example.com",)"
      R"("smsnumber":"+46701234567","media":"web\tads","customer_id":"7","phonenr":"+46890510",)"
      R"("destnr":"+46850000001","timestamp":"2026-01-02 03:04:05",)"
      R"("expire":"2031-05-06 00:00:00","created":"2026-01-01 10:00:00",)"
      R"("modified":"2026-01-02 11:00:00","class":"7","status":"active","vm_greeting_id":"9",)"
      R"("campaign_id":"5","publisher_id":"42","notify_on_missed_call":"1",)"
      R"("notify_on_new_voicemail":"0","vm_divert_all":"1","vm_divert_busy":"1",)"
      R"("vm_divert_noanswer":"0","alt_numbers":[)"
      R"({"alt_key":"3","from_time":"08:00","phonenr":"+46890512","to_time":"17:30",)"
      R"("weekdays":"mon,tue,fri"},)"
      R"({"alt_key":"4","from_time":"00:00","phonenr":"voicemail","to_time":"24:00",)"
      R"("weekdays":"sat,sun"}]})");
}

TEST(SourceRender, WritesAbsentFieldsAsNullAndNoRulesAsAnEmptyList) {
  Source s;
  s.id = 1;
  s.customer_id = 2;
  s.name = "plain";
  s.answering_number = "+46890510";
  s.tracking_number = "+46850000002";
  s.lifecycle.activation = at_seconds(1767323045);
  s.created = "2026-01-02 03:04:05";
  s.modified = "2026-01-02 03:04:05";
  EXPECT_EQ(written(s, SourceStatus::quarantined),
            R"({"source_id":"1","name":"plain","email":null,"smsnumber":null,"media":"",)"
            R"("customer_id":"2","phonenr":"+46890510","destnr":"+46850000002",)"
            R"("timestamp":"2026-01-02 03:04:05","expire":null,"created":"2026-01-02 03:04:05",)"
            R"("modified":"2026-01-02 03:04:05","class":"0","status":"quarantined",)"
            R"("vm_greeting_id":null,"campaign_id":null,"publisher_id":null,)"
            R"("notify_on_missed_call":"0","notify_on_new_voicemail":"0","vm_divert_all":"0",)"
            R"("vm_divert_busy":"0","vm_divert_noanswer":"0","alt_numbers":[]})");
}

// A stored name that is not UTF-8 (an import, an old row) shows U+FFFD, as the JSON dump did,
// and control characters are escaped: the body stays valid JSON.
TEST(SourceRender, WritesStoredTextThatIsNotUtf8AsReplacementCharacters) {
  auto s = source_with_every_field();
  s.name = "Malm\xf6\n";
  s.alt_numbers.clear();
  const auto text = written(s, SourceStatus::archived);
  EXPECT_NE(text.find(R"("name":"Malm)"
                      "\xef\xbf\xbd"
                      R"(\n",)"),
            std::string::npos)
      << text;
  EXPECT_EQ(Json::parse(text)["status"], "archived");
}

}  // namespace
}  // namespace callsight::api
