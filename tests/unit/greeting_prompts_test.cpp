#include "media/greeting_prompts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <numbers>

#include "common/base64.hpp"
#include "store/customer_store.hpp"
#include "store/greeting_store.hpp"
#include "store/number_store.hpp"
#include "store/source_store.hpp"
#include "store_test_support.hpp"

namespace callsight::media {
namespace {

std::string greeting_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::uint32_t greeting_wav_field(const std::string& bytes, std::size_t at, int size) {
  std::uint32_t value = 0;
  for (int i = size - 1; i >= 0; --i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

void append_greeting_le(std::string& out, std::uint32_t value, int size) {
  for (int i = 0; i < size; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

// A 16-bit PCM WAV of a 700 Hz tone, `seconds` long, at 16 kHz in stereo: not the edge's
// format, so the job must convert it.
std::string tone_wav(double seconds) {
  constexpr std::uint32_t kRate = 16000;
  constexpr std::uint16_t kChannels = 2;
  const auto frames = static_cast<std::uint32_t>(seconds * kRate);
  const std::uint32_t data_bytes = frames * kChannels * 2;
  std::string out = "RIFF";
  append_greeting_le(out, 36 + data_bytes, 4);
  out += "WAVEfmt ";
  append_greeting_le(out, 16, 4);
  append_greeting_le(out, 1, 2);  // PCM
  append_greeting_le(out, kChannels, 2);
  append_greeting_le(out, kRate, 4);
  append_greeting_le(out, kRate * kChannels * 2, 4);
  append_greeting_le(out, kChannels * 2, 2);
  append_greeting_le(out, 16, 2);
  out += "data";
  append_greeting_le(out, data_bytes, 4);
  for (std::uint32_t i = 0; i < frames; ++i) {
    const auto sample =
        static_cast<std::int16_t>(8000 * std::sin(2 * std::numbers::pi * 700 * i / kRate));
    for (int c = 0; c < kChannels; ++c)
      append_greeting_le(out, static_cast<std::uint16_t>(sample), 2);
  }
  return out;
}

bool greeting_tools_installed() {
  return std::system("command -v sox >/dev/null && command -v lame >/dev/null") == 0;
}

// Two sources of one customer, each holding a number in use; greetings are uploaded by the
// tests; the files go to a fresh directory.
class GreetingPromptsTest : public SqlStoreFixture {
 protected:
  GreetingPromptsTest()
      : SqlStoreFixture("2025-05-01 10:00:00"),
        directory_(std::filesystem::temp_directory_path() /
                   ("callsight-greetings-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    partner_ = make_partner("acme");
    customer_ = make_customer(partner_, "K-1");
    store_->numbers().add_numbers({"+46812345678", "+46812345679"}, std::nullopt);
    first_ = make_source(partner_, customer_, "+46812345678");
    second_ = make_source(partner_, customer_, "+46812345679");
  }
  ~GreetingPromptsTest() override { std::filesystem::remove_all(directory_); }

  GreetingPrompts job(int retry_after_passes = 60) {
    return GreetingPrompts(
        *store_, {.directory = directory_, .retry_after_passes = retry_after_passes}, metrics_);
  }

  // A greeting with `audio` (none: recorded by phone later), chosen by `source`.
  Id upload(Source& source, const std::optional<std::string>& audio) {
    VoicemailGreeting g;
    g.customer_id = customer_;
    g.name = "greeting";
    if (audio) {
      g.sounddata_base64 = encode_base64(*audio);
      g.datalength = static_cast<std::int64_t>(audio->size());
    }
    const auto id =
        store_->greetings()
            .create_greeting(partner_, g, audio ? std::nullopt : std::optional<std::string>("1"))
            .id;
    source.vm_greeting_id = id;
    store_->sources().update_source(source);
    return id;
  }

  std::filesystem::path wav(Id id) const {
    return directory_ / ("greeting-" + std::to_string(id) + ".wav");
  }

  std::filesystem::path directory_;
  MetricsRegistry metrics_;
  Id partner_ = 0;
  Id customer_ = 0;
  Source first_;
  Source second_;
};

TEST_F(GreetingPromptsTest, AnUploadedWavIsWrittenOnceAsTheEdgesFormat) {
  if (!greeting_tools_installed()) GTEST_SKIP() << "needs sox and lame";
  const auto id = upload(first_, tone_wav(0.5));
  auto greetings = job();
  const auto pass = greetings.run_once();
  EXPECT_EQ(pass.rendered, 1);
  EXPECT_EQ(pass.failed, 0);
  const auto bytes = greeting_file_bytes(wav(id));
  ASSERT_GT(bytes.size(), 44u);
  EXPECT_EQ(bytes.substr(0, 4), "RIFF");
  EXPECT_EQ(greeting_wav_field(bytes, 22, 2), 1u);                     // mono
  EXPECT_EQ(greeting_wav_field(bytes, 24, 4), 8000u);                  // 8 kHz
  EXPECT_EQ(greeting_wav_field(bytes, 34, 2), 16u);                    // 16-bit
  EXPECT_NEAR(static_cast<double>(bytes.size() - 44), 8000.0, 200.0);  // 0.5 s of 2 bytes

  EXPECT_EQ(greetings.run_once().current, 1);  // up to date: not written again
  EXPECT_NE(metrics_.render().find("callsight_voicemail_greetings_total{outcome=\"rendered\"} 1"),
            std::string::npos);
}

TEST_F(GreetingPromptsTest, AnUploadedMp3IsDecoded) {
  if (!greeting_tools_installed()) GTEST_SKIP() << "needs sox and lame";
  const auto source_wav = directory_ / "source.wav.in";
  const auto mp3 = directory_ / "source.mp3.in";
  {
    std::ofstream out(source_wav, std::ios::binary);
    out << tone_wav(1.0);
  }
  ASSERT_EQ(std::system(("lame --quiet " + source_wav.string() + " " + mp3.string()).c_str()), 0);
  const auto id = upload(first_, greeting_file_bytes(mp3));
  std::filesystem::remove(source_wav);
  std::filesystem::remove(mp3);
  EXPECT_EQ(job().run_once().rendered, 1);
  // About a second (lame pads a little at both ends).
  EXPECT_NEAR(static_cast<double>(std::filesystem::file_size(wav(id)) - 44), 16000.0, 1600.0);
}

TEST_F(GreetingPromptsTest, EachGreetingOnItsOwnAnUnreadableOneFailsAloneAndWaitsToBeTriedAgain) {
  if (!greeting_tools_installed()) GTEST_SKIP() << "needs sox and lame";
  // A WAV header (the API takes it) with nothing sox can read behind it.
  const auto broken = upload(first_, std::string("RIFF\x10\0\0\0WAVEjunkjunkjunk", 24));
  const auto good = upload(second_, tone_wav(0.3));
  auto greetings = job(2);
  const auto pass = greetings.run_once();
  EXPECT_EQ(pass.failed, 1);
  EXPECT_EQ(pass.rendered, 1);
  EXPECT_FALSE(std::filesystem::exists(wav(broken)));  // the edge plays the default instead
  EXPECT_TRUE(std::filesystem::exists(wav(good)));
  EXPECT_EQ(greetings.run_once().failed, 0);  // not at every pass
  EXPECT_EQ(greetings.run_once().failed, 1);  // but after retry_after_passes
  for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos)  // nothing left behind
        << entry.path();
  }
}

TEST_F(GreetingPromptsTest, AGreetingWithoutSoundGetsNoFile) {
  if (!greeting_tools_installed()) GTEST_SKIP() << "needs sox and lame";
  const auto pending = upload(first_, std::nullopt);   // to be recorded by phone
  const auto silent = upload(second_, tone_wav(0.0));  // a WAV without a sample
  const auto pass = job().run_once();
  EXPECT_EQ(pass.rendered, 0);
  EXPECT_EQ(pass.failed, 1);  // the empty one
  EXPECT_FALSE(std::filesystem::exists(wav(pending)));
  EXPECT_FALSE(std::filesystem::exists(wav(silent)));
}

TEST_F(GreetingPromptsTest, TheFileGoesWhenNoNumberUsesTheGreetingAnyMore) {
  if (!greeting_tools_installed()) GTEST_SKIP() << "needs sox and lame";
  const auto id = upload(first_, tone_wav(0.3));
  auto greetings = job();
  ASSERT_EQ(greetings.run_once().rendered, 1);
  first_.vm_greeting_id.reset();
  store_->sources().update_source(first_);
  const auto pass = greetings.run_once();
  EXPECT_EQ(pass.removed, 1);
  EXPECT_FALSE(std::filesystem::exists(wav(id)));
  EXPECT_TRUE(std::filesystem::is_empty(directory_));  // its marker file too
}

}  // namespace
}  // namespace callsight::media
