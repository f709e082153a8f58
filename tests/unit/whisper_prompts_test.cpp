#include "media/whisper_prompts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "captured_log.hpp"
#include "store/customer_store.hpp"
#include "store/number_store.hpp"
#include "store/source_store.hpp"
#include "store_test_support.hpp"

namespace callsight::media {
namespace {

std::string whisper_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::uint32_t wav_header_field(const std::string& bytes, std::size_t at, int size) {
  std::uint32_t value = 0;
  for (int i = size - 1; i >= 0; --i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// A customer with whisper=1 and a source in use; the prompts go to a fresh directory.
class WhisperPromptsTest : public SqlStoreFixture {
 protected:
  WhisperPromptsTest()
      : SqlStoreFixture("2025-05-01 10:00:00"),
        directory_(std::filesystem::temp_directory_path() /
                   ("callsight-whisper-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(directory_);
    partner_ = make_partner("acme");
    Customer c;
    c.partner_id = partner_;
    c.name = c.custnr = "K-1";
    c.uuid = "uuid-K-1";
    c.whisper = 1;
    customer_ = store_->customers().create_customer(c);
    store_->numbers().add_numbers({"+46812345678"}, std::nullopt);
    source_ = make_source(partner_, customer_.id, "+46812345678");
  }
  ~WhisperPromptsTest() override { std::filesystem::remove_all(directory_); }

  WhisperPrompts prompts() { return WhisperPrompts(*store_, {.directory = directory_}, metrics_); }
  std::filesystem::path wav() const {
    return directory_ / ("whisper-" + std::to_string(source_.id) + ".wav");
  }
  std::filesystem::path text() const {
    return directory_ / ("whisper-" + std::to_string(source_.id) + ".txt");
  }

  std::filesystem::path directory_;
  MetricsRegistry metrics_;
  Id partner_ = 0;
  Customer customer_;
  Source source_;
};

bool whisper_tools_installed() {
  return std::system("command -v espeak-ng >/dev/null && command -v sox >/dev/null") == 0;
}

TEST(WhisperText, IsTheSourcesNameTrimmed) {
  EXPECT_EQ(whisper_text("  Radio Stockholm \n"), "Radio Stockholm");
  EXPECT_EQ(whisper_text(" \t"), "");
}

TEST_F(WhisperPromptsTest, ASourceOfAWhisperingCustomerGetsItsNameSpokenOnceUntilRenamed) {
  if (!whisper_tools_installed()) GTEST_SKIP() << "needs espeak-ng and sox";
  std::filesystem::create_directories(directory_);
  auto job = prompts();
  const auto first = job.run_once();
  EXPECT_EQ(first.rendered, 1);
  EXPECT_EQ(first.failed, 0);
  // 8 kHz mono 16-bit WAV, as the edge's prompts are, at least half a second of speech.
  const auto bytes = whisper_file_text(wav());
  ASSERT_GT(bytes.size(), 44u);
  EXPECT_EQ(bytes.substr(0, 4), "RIFF");
  EXPECT_EQ(wav_header_field(bytes, 22, 2), 1u);     // channels
  EXPECT_EQ(wav_header_field(bytes, 24, 4), 8000u);  // sample rate
  EXPECT_EQ(wav_header_field(bytes, 34, 2), 16u);    // bits per sample
  EXPECT_GT(bytes.size(), 44u + 8000u);
  EXPECT_EQ(whisper_file_text(text()), source_.name);

  EXPECT_EQ(job.run_once().current, 1);  // nothing to do: it says the name already

  source_.name = "Radio Stockholm";
  store_->sources().update_source(source_);
  EXPECT_EQ(job.run_once().rendered, 1);
  EXPECT_EQ(whisper_file_text(text()), "Radio Stockholm");
  EXPECT_NE(metrics_.render().find("callsight_whisper_prompts_total{outcome=\"rendered\"} 2"),
            std::string::npos);
}

TEST_F(WhisperPromptsTest, NoPromptWithoutTheCustomersWhisper) {
  customer_.whisper = 0;
  store_->customers().update_customer(customer_);
  const auto pass = prompts().run_once();
  EXPECT_EQ(pass.rendered + pass.current + pass.failed, 0);
  EXPECT_FALSE(std::filesystem::exists(wav()));
}

TEST_F(WhisperPromptsTest, AFailureIsCountedAndTriedAgain) {
  std::filesystem::create_directories(directory_);
  WhisperPrompts broken(*store_, {.directory = directory_, .espeak = "/nonexistent/espeak-ng"},
                        metrics_);
  EXPECT_EQ(broken.run_once().failed, 1);
  EXPECT_EQ(broken.run_once().failed, 1);
  EXPECT_FALSE(std::filesystem::exists(wav()));
  EXPECT_TRUE(std::filesystem::is_empty(directory_));  // no temporary file left behind
}

TEST_F(WhisperPromptsTest, AFailureIsLoggedWithTheSourceAndTheStepButNotWhatTheToolSaid) {
  // A tool that fails and quotes the source's name on its standard error, as espeak-ng may.
  std::filesystem::create_directories(directory_);
  const auto tool = directory_.parent_path() /
                    ("callsight-whisper-failing-" + std::to_string(::getpid()) + ".sh");
  {
    std::ofstream script(tool);
    script << "#!/bin/sh\necho \"cannot say: Radio +46701234567\" >&2\nexit 3\n";
  }
  std::filesystem::permissions(tool, std::filesystem::perms::owner_all);
  CapturedLog log;
  WhisperPrompts broken(*store_, {.directory = directory_, .espeak = tool.string()}, metrics_);
  EXPECT_EQ(broken.run_once().failed, 1);
  std::filesystem::remove(tool);
  const auto text = log.text();
  EXPECT_NE(text.find("whisper prompts: source " + std::to_string(source_.id) +
                      ": espeak-ng failed (exit code 3)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("+46701234567"), std::string::npos) << text;
}

}  // namespace
}  // namespace callsight::media
