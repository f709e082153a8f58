#include "http/error.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"

namespace callsight::http {

Response error_response(int status, const std::vector<ApiError>& errors) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : errors) {
    list.push_back({{"code", e.code},
                    {"field", e.field.empty() ? nlohmann::json() : nlohmann::json(e.field)},
                    {"message", e.message}});
  }
  Response r;
  r.status = status;
  // Never throws, whatever a message or field holds: an error must always reach the client.
  r.body = to_json_text(nlohmann::json{{"errors", list}});
  return r;
}

Response error_response(int status, ApiError error) {
  return error_response(status, std::vector<ApiError>{std::move(error)});
}

Response unavailable_response(int retry_after_seconds, std::string message) {
  auto response = error_response(503, {"unavailable", "", std::move(message)});
  response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return response;
}

Response answer_or_internal_error(const std::function<Response()>& make,
                                  std::string_view what) noexcept {
  try {
    return make();
  } catch (const std::exception& e) {
    spdlog::error("{}: handler failed: {}", what, e.what());
  } catch (...) {
    spdlog::error("{}: handler failed with a non-standard exception", what);
  }
  return error_response(500, {"internal", "", "internal error"});
}

}  // namespace callsight::http
