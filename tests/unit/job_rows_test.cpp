#include "app/job_rows.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "captured_log.hpp"
#include "core/media/media_error.hpp"

namespace callsight::app {
namespace {

// The message of a JSON parser's error quotes what it read, here a stored URL with a secret.
nlohmann::json::exception stored_json_error() {
  try {
    [[maybe_unused]] const auto parsed =
        nlohmann::json::parse("\"https://user:s3cret@hooks.example/in\x01\"");
  } catch (const nlohmann::json::parse_error& e) {
    return e;
  }
  throw std::logic_error("the text parsed");
}

TEST(JobRowFailures, CountsEachFailedRowUnderItsJob) {
  MetricsRegistry metrics;
  JobRowFailures failures(metrics);
  const auto sweep = failures.handler("sweep", "source");
  const auto webhooks = failures.handler("webhooks", "delivery");
  sweep(7, StoreError("SQLite step: refused"));
  sweep(8, StoreError("SQLite step: refused"));
  webhooks(9, std::runtime_error("boom"));
  const std::string rendered = metrics.render();
  EXPECT_NE(rendered.find("# TYPE callsight_job_row_failures_total counter\n"), std::string::npos);
  EXPECT_NE(rendered.find("callsight_job_row_failures_total{job=\"sweep\"} 2\n"), std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find("callsight_job_row_failures_total{job=\"webhooks\"} 1\n"),
            std::string::npos)
      << rendered;
}

TEST(JobRowFailures, LogsTheRowAndTheKindOfErrorButNoStoredValue) {
  MetricsRegistry metrics;
  JobRowFailures failures(metrics);
  CapturedLog log;
  const auto error = stored_json_error();
  ASSERT_NE(std::string(error.what()).find("s3cret"), std::string::npos);
  failures.handler("webhooks", "delivery")(42, error);
  failures.handler("sweep", "source")(
      7, StoreError("PostgreSQL: value too long (Key (name)=(Malmö)) [SQLSTATE 22001]"));
  const std::string text = log.text();
  EXPECT_NE(text.find("webhooks: skipped delivery 42 (JSON error 101)"), std::string::npos) << text;
  EXPECT_NE(text.find("sweep: skipped source 7 (database error)"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
  EXPECT_EQ(text.find("Malm"), std::string::npos) << text;
}

TEST(JobRowFailures, SaysAMediaStepAsItIsAndAFileErrorWithoutItsPath) {
  MetricsRegistry metrics;
  JobRowFailures failures(metrics);
  CapturedLog log;
  failures.handler("recording_expiry", "recording")(3,
                                                    media::MediaError("sox failed (exit code 2)"));
  failures.handler("recording_expiry", "recording")(
      4, std::filesystem::filesystem_error("cannot remove",
                                           std::filesystem::path("/recordings/+46701234567.mp3"),
                                           std::make_error_code(std::errc::permission_denied)));
  failures.handler("recording_expiry", "recording")(5, std::runtime_error("+46701234567"));
  const std::string text = log.text();
  EXPECT_NE(text.find("skipped recording 3 (sox failed (exit code 2))"), std::string::npos) << text;
  EXPECT_NE(text.find("skipped recording 4 (file error ("), std::string::npos) << text;
  EXPECT_NE(text.find("skipped recording 5 (unexpected error)"), std::string::npos) << text;
  EXPECT_EQ(text.find("+46701234567"), std::string::npos) << text;
}

}  // namespace
}  // namespace callsight::app
