#pragma once

#include <exception>
#include <string>

namespace callsight {

// What a background job's log line says of an error (docs/observability.md, "Background
// jobs"): its kind, never the text of an exception that may quote stored values (a database's
// detail line, a JSON parser's "last read") or a child process's standard error. Media errors
// (core/media/media_error.hpp) name the step and the part at fault and quote no data, so they
// are said as they are; a file-system error by its system error only, without its paths.
std::string failure_kind(const std::exception& error);

}  // namespace callsight
