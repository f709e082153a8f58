#include "store/sql/sql_recording_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/call_record_store.hpp"
#include "store/partner_store.hpp"
#include "store/recording_store.hpp"
#include "store/webhook_store.hpp"
#include "store_test_support.hpp"

namespace callsight {
namespace {

RecordingFile mp3_named(const std::string& name) {
  return {.file_name = name, .bytes = 4096, .duration_ms = 12'345, .sha256 = std::string(64, 'a')};
}

class SqlRecordingStoreTest : public SqlStoreFixture {
 protected:
  SqlRecordingStoreTest() {
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
  }

  CallRecord answered_call(const std::string& switch_call_id, const std::string& caller,
                           Id partner_id = 0, Id customer_id = 0) {
    return make_answered_call(partner_id ? partner_id : partner_,
                              customer_id ? customer_id : customer_, switch_call_id, caller);
  }

  std::vector<std::string> event_types() {
    std::vector<std::string> types;
    const auto events = store_->webhooks().events_after(partner_, 0, 1000);
    for (const auto& e : events.value_or(std::vector<OutboxEvent>{})) types.push_back(e.type);
    return types;
  }

  void set_retention(int days) {
    auto partner = store_->partners().find_partner(partner_).value();
    partner.recording_retention_days = days;
    store_->partners().update_partner(partner);
  }

  RecordingStore& recordings() { return store_->recordings(); }
  Id partner_ = 0;
  Id customer_ = 0;
};

TEST_F(SqlRecordingStoreTest, AddingNamesTheRecordingOnTheCallAndRaisesItsEvent) {
  const auto call = answered_call("c1@edge", "+46701234567");
  const auto stored = recordings().add_recording("c1@edge", RecordingKind::call,
                                                 mp3_named("1/a.mp3"), clock_.now());
  ASSERT_TRUE(stored.added);
  EXPECT_EQ(stored.recording.cdr_id, call.id);
  EXPECT_EQ(stored.recording.customer_id, customer_);
  EXPECT_EQ(stored.recording.recording_id.size(), 36u);
  EXPECT_EQ(store_->calls().find_call(partner_, call.id)->recording_id,
            stored.recording.recording_id);
  const auto events = store_->webhooks().events_after(partner_, 0, 1000);
  ASSERT_TRUE(events && !events->empty());
  EXPECT_EQ(events->back().type, "call.recording_ready");
  const auto payload = nlohmann::json::parse(events->back().payload);
  EXPECT_EQ(payload.at("recording_id"), stored.recording.recording_id);
  EXPECT_EQ(recordings().find_recording(partner_, stored.recording.recording_id), stored.recording);
}

TEST_F(SqlRecordingStoreTest, ACallKeepsItsFirstRecording) {
  answered_call("c1@edge", "+46701234567");
  const auto first = recordings().add_recording("c1@edge", RecordingKind::call,
                                                mp3_named("1/a.mp3"), clock_.now());
  const auto again = recordings().add_recording("c1@edge", RecordingKind::call,
                                                mp3_named("1/b.mp3"), clock_.now());
  EXPECT_FALSE(again.added);
  EXPECT_EQ(again.recording, first.recording);
  const auto types = event_types();
  EXPECT_EQ(std::count(types.begin(), types.end(), "call.recording_ready"), 1);
}

TEST_F(SqlRecordingStoreTest, AnUnknownCallIsNotFound) {
  EXPECT_THROW(
      recordings().add_recording("nobody", RecordingKind::call, mp3_named("x.mp3"), clock_.now()),
      NotFoundError);
}

TEST_F(SqlRecordingStoreTest, OnlyTheOwningPartnerReachesARecording) {
  const auto other = make_partner("other");
  const auto other_customer = make_customer(other, "O-1");
  answered_call("c1@edge", "+46701234567");
  const auto mine = recordings().add_recording("c1@edge", RecordingKind::call, mp3_named("1/a.mp3"),
                                               clock_.now());
  const auto& id = mine.recording.recording_id;
  EXPECT_FALSE(recordings().find_recording(other, id));
  EXPECT_EQ(recordings().list_recordings(other, customer_, {}).total, 0);
  EXPECT_EQ(recordings().list_recordings(other, other_customer, {}).total, 0);
  EXPECT_THROW(recordings().delete_recording(other, id), NotFoundError);
  EXPECT_TRUE(recordings().find_recording(partner_, id));
  EXPECT_EQ(recordings().list_recordings(partner_, customer_, {}).total, 1);
  // The signed link finds it whoever holds it: its signature is the proof.
  EXPECT_EQ(recordings().find_recording_for_link(id), mine.recording);
}

TEST_F(SqlRecordingStoreTest, DeletingTakesItOffTheCallAndReleasesTheFile) {
  const auto call = answered_call("c1@edge", "+46701234567");
  const auto stored = recordings().add_recording("c1@edge", RecordingKind::call,
                                                 mp3_named("1/a.mp3"), clock_.now());
  const auto released = recordings().delete_recording(partner_, stored.recording.recording_id);
  EXPECT_EQ(released.file_name, "1/a.mp3");
  EXPECT_FALSE(recordings().find_recording(partner_, stored.recording.recording_id));
  EXPECT_FALSE(store_->calls().find_call(partner_, call.id)->recording_id);
}

TEST_F(SqlRecordingStoreTest, RetentionExpiresTheAudioAndKeepsTheRow) {
  set_retention(30);
  answered_call("old@edge", "+46701234567");
  const auto old_one = recordings().add_recording("old@edge", RecordingKind::call,
                                                  mp3_named("1/old.mp3"), clock_.now());
  clock_.advance(std::chrono::days(20));
  answered_call("new@edge", "+46701234568");
  const auto new_one = recordings().add_recording("new@edge", RecordingKind::call,
                                                  mp3_named("1/new.mp3"), clock_.now());
  clock_.advance(std::chrono::days(10));  // the old one is 30 days old now

  std::vector<Id> failed;
  const auto released = recordings().expire_due(
      clock_.now(), 100, [&](Id id, const std::exception&) { failed.push_back(id); });
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].file_name, "1/old.mp3");
  EXPECT_TRUE(failed.empty());
  const auto expired = recordings().find_recording(partner_, old_one.recording.recording_id);
  ASSERT_TRUE(expired);
  EXPECT_TRUE(expired->expired());
  EXPECT_EQ(expired->file_name, "");
  EXPECT_FALSE(recordings().find_recording(partner_, new_one.recording.recording_id)->expired());
  // Expired once: a second pass releases nothing.
  EXPECT_TRUE(recordings().expire_due(clock_.now(), 100, {}).empty());
}

TEST_F(SqlRecordingStoreTest, ALongerRetentionKeepsAudioLonger) {
  set_retention(365);
  answered_call("c1@edge", "+46701234567");
  recordings().add_recording("c1@edge", RecordingKind::call, mp3_named("1/a.mp3"), clock_.now());
  clock_.advance(std::chrono::days(100));
  EXPECT_TRUE(recordings().expire_due(clock_.now(), 100, {}).empty());
}

TEST_F(SqlRecordingStoreTest, ErasingACallerRemovesTheirRecordings) {
  const auto call = answered_call("c1@edge", "+46701234567");
  answered_call("c2@edge", "+46709999999");
  recordings().add_recording("c1@edge", RecordingKind::call, mp3_named("1/a.mp3"), clock_.now());
  const auto kept = recordings().add_recording("c2@edge", RecordingKind::call, mp3_named("1/b.mp3"),
                                               clock_.now());
  const auto erased = store_->calls().erase_caller(partner_, "+46701234567");
  EXPECT_EQ(erased.recordings, 1u);
  EXPECT_EQ(erased.recording_files, std::vector<std::string>{"1/a.mp3"});
  EXPECT_EQ(recordings().list_recordings(partner_, customer_, {}).total, 1);
  EXPECT_FALSE(store_->calls().find_call(partner_, call.id)->recording_id);
  EXPECT_TRUE(recordings().find_recording(partner_, kept.recording.recording_id));
}

}  // namespace
}  // namespace callsight
