#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/response.hpp"

namespace callsight::http {

// One entry of the wire error body {"errors":[{"code","field","message"}]}.
struct ApiError {
  std::string code;     // machine-readable, e.g. "missing", "too_long", "not_found"
  std::string field;    // the parameter at fault; empty renders as null
  std::string message;  // for humans
};

Response error_response(int status, const std::vector<ApiError>& errors);
Response error_response(int status, ApiError error);
// 503 with Retry-After: what the service needs (its database) cannot serve now; the error's
// code is "unavailable".
Response unavailable_response(int retry_after_seconds, std::string message);

// What `make` answers; whatever it throws is answered as the Server answers what escapes a
// handler: 500, logged with `what` naming the request. For answers given later, off the io
// thread, where no Server catches.
Response answer_or_internal_error(const std::function<Response()>& make,
                                  std::string_view what) noexcept;

// Thrown anywhere in request handling; the dispatcher renders it with error_response.
struct HttpError {
  int status;
  std::vector<ApiError> errors;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Allow on 405
};

}  // namespace callsight::http
