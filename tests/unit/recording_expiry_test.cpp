// The recordings job's expiry (media/recording_pickup): recordings past their partner's
// retention lose their audio, each on its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "captured_log.hpp"
#include "media/recording_pickup.hpp"
#include "store/call_record_store.hpp"
#include "store/partner_store.hpp"
#include "store/recording_store.hpp"
#include "store_test_support.hpp"

namespace callsight::media {
namespace {

// What the database's refusal says: a value the log must not repeat.
constexpr const char* kRefusalMarker = "refused for +46701234567";

class RecordingExpiryTest : public SqlStoreFixture {
 protected:
  RecordingExpiryTest()
      : spool_(std::filesystem::temp_directory_path() /
               ("callsight-expiry-" + std::to_string(::getpid()))),
        directory_(spool_ / "recordings") {
    std::filesystem::remove_all(spool_);
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
    auto partner = store_->partners().find_partner(partner_).value();
    partner.recording_retention_days = 30;
    store_->partners().update_partner(partner);
  }
  ~RecordingExpiryTest() override { std::filesystem::remove_all(spool_); }

  // The recording of a new answered call, made now; its recording_id.
  std::string recording(const std::string& name) {
    const auto r = make_answered_call(partner_, customer_, name + "@edge", "+46701234567");
    const RecordingFile file{.file_name = "1/" + name + ".mp3",
                             .bytes = 4096,
                             .duration_ms = 12'345,
                             .sha256 = std::string(64, 'a')};
    return store_->recordings()
        .add_recording(r.switch_call_id, RecordingKind::call, file, clock_.now())
        .recording.recording_id;
  }

  // Makes the database refuse every update of these recordings, as a damaged row or an
  // operator's trigger would: their expiry fails at every pass.
  void refuse_expiry_of(const std::string& first, const std::string& second) {
    auto raw = database_.open_raw();
    SqlTransaction tx(*raw, TxMode::write);
    const std::string which = "OLD.recording_id IN ('" + first + "', '" + second + "')";
    if (testing_postgres()) {
      raw->exec(std::string("CREATE FUNCTION refuse_expiry() RETURNS trigger LANGUAGE plpgsql AS"
                            " $$ BEGIN RAISE EXCEPTION '") +
                kRefusalMarker +
                "'; END $$;"
                " CREATE TRIGGER refuse_expiry BEFORE UPDATE ON recordings FOR EACH ROW WHEN (" +
                which + ") EXECUTE FUNCTION refuse_expiry()");
    } else {
      raw->exec("CREATE TRIGGER refuse_expiry BEFORE UPDATE ON recordings WHEN " + which +
                " BEGIN SELECT RAISE(ABORT, '" + kRefusalMarker + "'); END");
    }
    tx.commit();
  }

  bool expired(const std::string& recording_id) {
    return store_->recordings().find_recording(partner_, recording_id).value().expired();
  }

  // The job with expiry at every pass, `batch` recordings a pass.
  std::unique_ptr<RecordingPickup> job(int batch) {
    return std::make_unique<RecordingPickup>(
        *store_, clock_, directory_,
        PickupOptions{
            .spool = spool_, .expiry_interval = std::chrono::seconds(0), .expiry_batch = batch},
        metrics_);
  }

  std::filesystem::path spool_;
  RecordingDirectory directory_;
  MetricsRegistry metrics_;
  Id partner_ = 0;
  Id customer_ = 0;
};

TEST_F(RecordingExpiryTest, RecordingsThatKeepFailingDoNotKeepTheOnesBehindThemFromExpiring) {
  // A batch of two, both of whose recordings fail every pass: the recording behind them is
  // listed on top of the failing ones in the next pass and expires.
  const auto broken_1 = recording("broken-1");
  clock_.advance(std::chrono::minutes(1));
  const auto broken_2 = recording("broken-2");
  clock_.advance(std::chrono::minutes(1));
  const auto behind = recording("behind");
  refuse_expiry_of(broken_1, broken_2);
  clock_.advance(std::chrono::days(31));
  const auto expiry = job(2);
  EXPECT_EQ(expiry->run_once().expired, 0);  // the batch held the two failing ones only
  EXPECT_FALSE(expired(behind));
  EXPECT_EQ(expiry->run_once().expired, 1);
  EXPECT_TRUE(expired(behind));
  EXPECT_FALSE(expired(broken_1));
  EXPECT_FALSE(expired(broken_2));
}

TEST_F(RecordingExpiryTest, AFailureIsLoggedWithTheRecordingAndNotTheDatabasesText) {
  const auto broken_1 = recording("broken-1");
  const auto broken_2 = recording("broken-2");
  refuse_expiry_of(broken_1, broken_2);
  clock_.advance(std::chrono::days(31));
  CapturedLog log;
  EXPECT_EQ(job(500)->run_once().expired, 0);
  const auto text = log.text();
  EXPECT_NE(text.find("not expired (database error)"), std::string::npos) << text;
  EXPECT_EQ(text.find("+46701234567"), std::string::npos) << text;
}

}  // namespace
}  // namespace callsight::media
