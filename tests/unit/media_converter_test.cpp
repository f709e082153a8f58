#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/crypto.hpp"
#include "core/media/media_error.hpp"
#include "media/child_process.hpp"
#include "media/recording_converter.hpp"
#include "media_test_support.hpp"

namespace callsight::media {
namespace {

using namespace test_support;
namespace fs = std::filesystem;

std::string whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Mp3Facts {
  int frames = 0;  // audio frames, the LAME tag's frame left out
  bool all_stereo = true;
  bool all_8khz_mpeg25_layer3 = true;
  std::int64_t samples_per_channel = 0;  // from the LAME tag's frame count, delay and padding
};

// Walks the MP3's frame headers (ISO 11172-3 / 13818-3, with MPEG 2.5 at 8 kHz), and reads the
// encoder delay and padding from the LAME tag in the first frame.
Mp3Facts mp3_facts(const std::string& mp3) {
  static constexpr int kKbps[16] = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(mp3[i]); };
  Mp3Facts facts;
  std::size_t at = 0;
  bool first = true;
  while (at + 4 <= mp3.size() && byte(at) == 0xff && (byte(at + 1) & 0xe0) == 0xe0) {
    const int version = (byte(at + 1) >> 3) & 3;  // 0: MPEG 2.5
    const int layer = (byte(at + 1) >> 1) & 3;    // 1: layer III
    const int kbps = kKbps[byte(at + 2) >> 4];
    const int rate_index = (byte(at + 2) >> 2) & 3;  // 2: 8000 Hz in MPEG 2.5
    const int padding = (byte(at + 2) >> 1) & 1;
    const int channel_mode = byte(at + 3) >> 6;  // 3: mono
    facts.all_8khz_mpeg25_layer3 &= version == 0 && layer == 1 && rate_index == 2;
    facts.all_stereo &= channel_mode != 3;
    const std::size_t length = 72 * kbps * 1000 / 8000 + padding;
    if (length == 0) break;
    if (first) {
      const auto tag = mp3.find("Info", at);
      if (tag != std::string::npos && tag < at + length) {
        const auto u32 = [&](std::size_t i) {
          return std::int64_t{byte(i)} << 24 | byte(i + 1) << 16 | byte(i + 2) << 8 | byte(i + 3);
        };
        const auto tag_frames = u32(tag + 8);
        const auto lame = tag + 120;  // after flags, frames, bytes, TOC and quality
        const int delay = byte(lame + 21) << 4 | byte(lame + 22) >> 4;
        const int end_padding = (byte(lame + 22) & 0x0f) << 8 | byte(lame + 23);
        facts.samples_per_channel = tag_frames * 576 - delay - end_padding;
      }
      first = false;
    } else {
      ++facts.frames;
    }
    at += length;
  }
  return facts;
}

class MediaConverter : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("callsight-media-test-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  ConvertRequest fixture_request() const {
    ConvertRequest request;
    request.pcap = recording_fixture("pcmu-raw-record-call.pcap");
    request.metadata = recording_fixture("pcmu-raw-record-call.meta.txt");
    request.output = directory_ / "call.mp3";
    return request;
  }
  std::vector<std::string> files_left() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  fs::path directory_;
};

TEST_F(MediaConverter, WritesAStereoMp3OfTheCallsLengthWithBothVoices) {
  const auto converted = convert_recording(fixture_request());
  EXPECT_EQ(files_left(), std::vector<std::string>{"call.mp3"});  // no temporary file left
  const auto mp3 = whole_file(converted.path);
  EXPECT_EQ(converted.size_bytes, mp3.size());
  EXPECT_EQ(converted.sha256_hex, crypto::sha256_hex(mp3));
  EXPECT_NEAR(static_cast<double>(converted.duration_ms), 3000, 20);
  EXPECT_EQ(converted.stats.caller_found_by, CallerFoundBy::caller_facing_endpoint);

  const auto facts = mp3_facts(mp3);
  EXPECT_GT(facts.frames, 30);
  EXPECT_TRUE(facts.all_stereo);
  EXPECT_TRUE(facts.all_8khz_mpeg25_layer3);
  EXPECT_NEAR(facts.samples_per_channel / 8000.0, converted.duration_ms / 1000.0, 0.1);

  // Decoded back by lame, the MP3 still has the caller's tone left and the callee's right.
  const auto decoded = directory_ / "decoded.wav";
  const auto result =
      run_child({"lame", "-S", "--decode", converted.path.string(), decoded.string()},
                std::chrono::minutes(1));
  ASSERT_TRUE(result.succeeded()) << result.stderr_tail;
  const auto wav = whole_file(decoded);
  ASSERT_GT(wav.size(), 44u);
  EXPECT_EQ(wav[22], 2);  // channels
  const auto data = wav.find("data");
  ASSERT_NE(data, std::string::npos);
  StereoAudio audio;
  for (std::size_t i = data + 8; i + 1 < wav.size(); i += 2) {
    audio.interleaved.push_back(static_cast<std::int16_t>(
        static_cast<std::uint8_t>(wav[i]) | static_cast<std::uint8_t>(wav[i + 1]) << 8));
  }
  EXPECT_NEAR(audio.frames() / 8000.0, converted.duration_ms / 1000.0, 0.1);
  const auto left = channel_of(audio, 0);
  const auto right = channel_of(audio, 1);
  EXPECT_GT(rms(left, 0, left.size()), 1000);
  EXPECT_GT(rms(right, 0, right.size()), 1000);
  EXPECT_NEAR(zero_crossing_hz(left, 800, 7200), 440, 15);
  EXPECT_NEAR(zero_crossing_hz(right, 4000, 20000), 880, 15);
}

TEST_F(MediaConverter, WithoutLameNothingIsLeftBehind) {
  auto request = fixture_request();
  request.lame = "/nonexistent/lame";
  try {
    convert_recording(request);
    ADD_FAILURE() << "no error";
  } catch (const MediaError& e) {
    EXPECT_EQ(std::string(e.what()), "lame: could not be started: No such file or directory");
  }
  EXPECT_TRUE(files_left().empty());
}

TEST_F(MediaConverter, AFailingEncoderReportsItsExitStatus) {
  auto request = fixture_request();
  request.lame = "false";
  try {
    convert_recording(request);
    ADD_FAILURE() << "no error";
  } catch (const MediaError& e) {
    EXPECT_EQ(std::string(e.what()), "lame: exit status 1");
  }
  EXPECT_TRUE(files_left().empty());
}

TEST_F(MediaConverter, ACaptureWithoutAudioFailsBeforeEncoding) {
  auto request = fixture_request();
  request.pcap = directory_ / "empty.pcap";
  std::ofstream(request.pcap, std::ios::binary)
      .write(reinterpret_cast<const char*>(PcapBuilder(101).bytes().data()), 24);
  request.metadata.reset();
  EXPECT_THROW(convert_recording(request), MediaError);
  EXPECT_EQ(files_left(), std::vector<std::string>{"empty.pcap"});
  request.pcap = directory_ / "missing.pcap";
  try {
    convert_recording(request);
  } catch (const MediaError& e) {
    EXPECT_EQ(std::string(e.what()), "pcap file: cannot be opened");
  }
}

TEST(MediaChildProcess, KeepsStandardErrorAndTheExitCode) {
  const auto result =
      run_child({"sh", "-c", "echo first >&2; echo last >&2; exit 3"}, std::chrono::minutes(1));
  EXPECT_TRUE(result.started);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.stderr_tail, "first\nlast\n");
}

TEST(MediaChildProcess, KillsAChildPastItsTimeout) {
  // A child that would run for a minute, stopped after 50 ms: no timing is measured.
  const auto result = run_child({"sleep", "60"}, std::chrono::milliseconds(50));
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.succeeded());
}

}  // namespace
}  // namespace callsight::media
