// answer_or_internal_error: the answer given later, off the io thread, when its handler fails
// as the Server answers a handler that fails on it.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "captured_log.hpp"
#include "http/error.hpp"

namespace callsight::http {
namespace {

TEST(AnswerOrInternalError, GivesWhatTheHandlerAnswers) {
  const auto response = answer_or_internal_error(
      [] {
        return error_response(404, {"not_found", "", "no such call"});
      },
      "a call's event");
  EXPECT_EQ(response.status, 404);
}

TEST(AnswerOrInternalError, AnswersAFailure500AndLogsItWithTheRequestsName) {
  const CapturedLog log;
  const auto response = answer_or_internal_error(
      []() -> Response { throw std::runtime_error("disk on fire"); }, "POST /switch/route");
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("\"internal\""), std::string::npos) << response.body;
  EXPECT_NE(log.text().find("POST /switch/route: handler failed: disk on fire"), std::string::npos)
      << log.text();
}

TEST(AnswerOrInternalError, AnswersANonStandardFailure500) {
  const CapturedLog log;
  const auto response = answer_or_internal_error([]() -> Response { throw 42; }, "an answer");
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(log.text().find("an answer: handler failed with a non-standard exception"),
            std::string::npos)
      << log.text();
}

}  // namespace
}  // namespace callsight::http
