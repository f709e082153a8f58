#include "media/recording_pickup.hpp"

#include <gtest/gtest.h>

#include "media/recording_directory.hpp"

namespace callsight::media {
namespace {

TEST(RecordingSpool, TheCallIdComesFromTheMetadataFileName) {
  EXPECT_EQ(call_id_of_metadata("rtpengine-meta-1-14542%40127.0.0.1-c49d2ceea6b223f0.txt"),
            "1-14542@127.0.0.1");
  EXPECT_EQ(call_id_of_metadata("rtpengine-meta-a%2Db%25-0123456789abcdef.txt"), "a-b%");
  for (const auto* name :
       {"rtpengine-meta-abc.txt", "rtpengine-meta--0123456789abcdef.txt",
        "rtpengine-meta-x-0123456789abcdeg.txt", "rtpengine-meta-x-0123456789abcdef.pcap",
        "meta-x-0123456789abcdef.txt", "rtpengine-meta-x%4-0123456789abcdef.txt",
        "rtpengine-meta-x%-0123456789abcdef.txt"}) {
    EXPECT_FALSE(call_id_of_metadata(name)) << name;
  }
}

TEST(RecordingSpool, ThePcapIsNamedOnTheFirstLine) {
  EXPECT_EQ(pcap_of_metadata("/spool/pcaps/a-0123.pcap\n\n\nTimestamp started ms: 1\n"),
            std::filesystem::path("/spool/pcaps/a-0123.pcap"));
  EXPECT_FALSE(pcap_of_metadata(""));
  EXPECT_FALSE(pcap_of_metadata("\n/spool/pcaps/a.pcap\n"));
  EXPECT_FALSE(pcap_of_metadata("/etc/passwd\n"));
}

TEST(RecordingDirectoryNames, StoredNamesStayInsideTheDirectory) {
  const auto root = std::filesystem::temp_directory_path() / "callsight-recording-dir-test";
  RecordingDirectory directory(root);
  const auto name = directory.new_file_name(7, TimePoint(std::chrono::seconds(1'800'000'000)));
  EXPECT_TRUE(name.starts_with("7/2027-01/")) << name;
  EXPECT_TRUE(name.ends_with(".mp3")) << name;
  EXPECT_EQ(directory.path_of(name), root / name);
  EXPECT_THROW(directory.path_of("../etc/passwd"), std::invalid_argument);
  EXPECT_THROW(directory.path_of("7/../../x.mp3"), std::invalid_argument);
  EXPECT_THROW(directory.path_of("/etc/passwd"), std::invalid_argument);
  EXPECT_THROW(directory.path_of(""), std::invalid_argument);
  EXPECT_FALSE(directory.read("7/none.mp3"));
  directory.remove("7/none.mp3");  // gone already: no error
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace callsight::media
