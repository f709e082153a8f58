// Nodes sharing rtpengine's spool (media/spool_claim, media/recording_pickup): one node
// converts each finished call, the others leave it alone while it does, and the claim of a
// node that stopped lapses and is taken over.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "captured_log.hpp"
#include "core/media/spool_claim.hpp"
#include "media/recording_directory.hpp"
#include "media/recording_pickup.hpp"
#include "media/spool_claim.hpp"
#include "store/call_record_store.hpp"
#include "store_test_support.hpp"

namespace callsight::media {
namespace {

namespace fs = std::filesystem;

const fs::path kClaimFixture = fs::path(CALLSIGHT_TEST_DATA_DIR) / "recordings";

TEST(SpoolClaimRule, AnEntryNobodyClaimedIsClaimedAndAFreshClaimIsLeftToItsNode) {
  using std::chrono::minutes;
  using std::chrono::seconds;
  EXPECT_EQ(spool_claim_step(std::nullopt, minutes(15)), SpoolClaimStep::claim);
  EXPECT_EQ(spool_claim_step(seconds(0), minutes(15)), SpoolClaimStep::leave);
  EXPECT_EQ(spool_claim_step(minutes(15) - seconds(1), minutes(15)), SpoolClaimStep::leave);
  // Written by a clock ahead of this node's (a shared mount's server): just made.
  EXPECT_EQ(spool_claim_step(seconds(-30), minutes(15)), SpoolClaimStep::leave);
}

TEST(SpoolClaimRule, AClaimOlderThanAnyConversionLapsesAndIsTakenOver) {
  using std::chrono::minutes;
  EXPECT_EQ(spool_claim_step(minutes(15), minutes(15)), SpoolClaimStep::take_over);
  EXPECT_EQ(spool_claim_step(std::chrono::hours(30), minutes(15)), SpoolClaimStep::take_over);
  // Longer than lame may run on one recording (recording_converter's default timeout).
  EXPECT_GT(kSpoolClaimLapse, minutes(10));
}

// A claim as a node that stopped long ago left it.
void leave_lapsed_claim(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "gone-host 1\n";
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(1));
}

class SpoolClaimTest : public ::testing::Test {
 protected:
  SpoolClaimTest()
      : root_(fs::temp_directory_path() / ("callsight-claims-" + std::to_string(::getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "metadata");
  }
  ~SpoolClaimTest() override { fs::remove_all(root_); }

  std::optional<SpoolClaim> claim(const std::string& entry) {
    return SpoolClaim::try_claim(root_ / "claims", entry, kSpoolClaimLapse);
  }

  fs::path root_;
};

TEST_F(SpoolClaimTest, OneNodeAtATimeHoldsAnEntryUntilItReleasesIt) {
  {
    auto first = claim("entry.txt");
    ASSERT_TRUE(first);
    EXPECT_FALSE(first->took_over());
    EXPECT_TRUE(fs::exists(root_ / "claims" / "entry.txt"));
    EXPECT_FALSE(claim("entry.txt"));  // held
    EXPECT_TRUE(claim("other.txt"));   // another entry is another claim
  }
  EXPECT_FALSE(fs::exists(root_ / "claims" / "entry.txt"));
  EXPECT_TRUE(claim("entry.txt"));
}

TEST_F(SpoolClaimTest, ALapsedClaimIsTakenOverAndItsNodeLaterReleasesNothingOfTheNewOne) {
  auto stopped = claim("entry.txt");
  ASSERT_TRUE(stopped);
  // The node hung past the lapse: its claim is taken over.
  fs::last_write_time(root_ / "claims" / "entry.txt",
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  auto taker = claim("entry.txt");
  ASSERT_TRUE(taker);
  EXPECT_TRUE(taker->took_over());
  // The hung node wakes up and releases what it held: the new claim stays.
  stopped.reset();
  EXPECT_TRUE(fs::exists(root_ / "claims" / "entry.txt"));
  EXPECT_FALSE(claim("entry.txt"));
  taker.reset();
  EXPECT_TRUE(fs::is_empty(root_ / "claims"));
}

TEST_F(SpoolClaimTest, LapsedClaimsOfEntriesThatLeftTheSpoolAreRemoved) {
  leave_lapsed_claim(root_ / "claims" / "finished.txt");
  leave_lapsed_claim(root_ / "claims" / "waiting.txt");
  std::ofstream(root_ / "metadata" / "waiting.txt") << "x";
  auto held = claim("fresh.txt");  // not lapsed: kept, entry or not
  EXPECT_EQ(remove_lapsed_claims(root_ / "claims", root_ / "metadata", kSpoolClaimLapse), 1);
  EXPECT_FALSE(fs::exists(root_ / "claims" / "finished.txt"));
  EXPECT_TRUE(fs::exists(root_ / "claims" / "waiting.txt"));  // its entry's pass takes it over
  EXPECT_TRUE(fs::exists(root_ / "claims" / "fresh.txt"));
}

// Two nodes' recordings jobs on one database, one spool and one recordings directory.
class RecordingClaimTest : public SqlStoreFixture {
 protected:
  RecordingClaimTest()
      : spool_(fs::temp_directory_path() / ("callsight-claim-spool-" + std::to_string(::getpid()))),
        directory_(spool_ / "recordings") {
    fs::remove_all(spool_);
    fs::create_directories(spool_ / "pcaps");
    fs::create_directories(spool_ / "metadata");
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
  }
  ~RecordingClaimTest() override { fs::remove_all(spool_); }

  // An answered, recorded call and its finished recording in the spool, as rtpengine leaves
  // it; the metadata file's name.
  std::string recorded_call(int n) {
    const auto call_id = "claim-" + std::to_string(n) + "-call";
    make_answered_call(partner_, customer_, call_id, "+46701234567");
    const auto tag = call_id + "-0123456789abcde" + std::to_string(n % 10);
    fs::copy_file(kClaimFixture / "kamailio-call-440-880.pcap", spool_ / "pcaps" / (tag + ".pcap"));
    std::ifstream in(kClaimFixture / "kamailio-call-440-880.meta");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("PCAP_PATH"), 9, "/elsewhere/pcaps/" + tag + ".pcap");
    const auto name = "rtpengine-meta-" + tag + ".txt";
    std::ofstream(spool_ / "metadata" / name) << text;
    return name;
  }

  // A node's recordings job; the call's end is not waited for (the calls have none).
  std::unique_ptr<RecordingPickup> node(MetricsRegistry& metrics) {
    return std::make_unique<RecordingPickup>(
        *store_, clock_, directory_,
        PickupOptions{.spool = spool_, .end_wait = std::chrono::seconds(0)}, metrics);
  }

  int mp3_files() {
    int count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(spool_ / "recordings")) {
      if (entry.is_regular_file()) ++count;  // temporary files too: none may be left
    }
    return count;
  }

  fs::path spool_;
  RecordingDirectory directory_;
  MetricsRegistry metrics_;
  MetricsRegistry other_metrics_;  // the second node's
  Id partner_ = 0;
  Id customer_ = 0;
};

TEST_F(RecordingClaimTest, AnEntryAnotherNodeIsConvertingIsLeftToIt) {
  const auto name = recorded_call(1);
  // The other node has claimed the entry and is converting it.
  auto other = SpoolClaim::try_claim(spool_ / "claims", name, kSpoolClaimLapse);
  ASSERT_TRUE(other);
  const auto pickup = node(metrics_);
  const auto left = pickup->run_once();
  EXPECT_EQ(left.elsewhere, 1);
  EXPECT_EQ(left.stored + left.discarded + left.failed, 0);
  EXPECT_TRUE(fs::exists(spool_ / "metadata" / name));
  EXPECT_FALSE(fs::exists(spool_ / "recordings"));  // no conversion started
  // Had the other node stopped with its entry still there, the release lets this one have it.
  other.reset();
  const auto done = pickup->run_once();
  EXPECT_EQ(done.stored, 1);
  EXPECT_EQ(mp3_files(), 1);
  EXPECT_FALSE(fs::exists(spool_ / "metadata" / name));
  EXPECT_TRUE(fs::is_empty(spool_ / "claims"));
}

TEST_F(RecordingClaimTest, TwoNodesRacingOnTheSameEntriesConvertEachOnce) {
  constexpr int kCalls = 3;
  for (int n = 0; n < kCalls; ++n) recorded_call(n);
  auto first = node(metrics_);
  auto second = node(other_metrics_);
  PickupPass passes[2];
  std::latch start(2);
  std::thread other([&] {
    start.arrive_and_wait();
    passes[1] = second->run_once();
  });
  start.arrive_and_wait();
  passes[0] = first->run_once();
  other.join();
  // Each call converted once: no second copy made and thrown away, none failed.
  EXPECT_EQ(passes[0].stored + passes[1].stored, kCalls);
  EXPECT_EQ(passes[0].discarded + passes[1].discarded, 0);
  EXPECT_EQ(passes[0].failed + passes[1].failed, 0);
  EXPECT_EQ(mp3_files(), kCalls);
  EXPECT_TRUE(fs::is_empty(spool_ / "metadata"));
  EXPECT_TRUE(fs::is_empty(spool_ / "claims"));
}

TEST_F(RecordingClaimTest, TheClaimOfANodeThatStoppedIsTakenOver) {
  const auto name = recorded_call(1);
  leave_lapsed_claim(spool_ / "claims" / name);
  CapturedLog log;
  EXPECT_EQ(node(metrics_)->run_once().stored, 1);
  EXPECT_EQ(mp3_files(), 1);
  EXPECT_TRUE(fs::is_empty(spool_ / "claims"));
  EXPECT_NE(log.text().find("claimed by a node that stopped; taken over"), std::string::npos)
      << log.text();
}

}  // namespace
}  // namespace callsight::media
