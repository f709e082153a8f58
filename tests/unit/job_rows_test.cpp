#include "app/job_rows.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

namespace callsight::app {
namespace {

// Sends the default logger's lines to a string for the length of a test.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return text_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

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

}  // namespace
}  // namespace callsight::app
