#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/context.hpp"

namespace callsight::api {

// A link to the recording's audio that works without a login until `expires`
// (core recording_link_signature), under the deployment's public URL.
std::string recording_audio_link(const ApiSettings& settings, std::string_view recording_id,
                                 TimePoint expires);

// GET /recordings/audio/<recording_id>?expires=&signature=: the MP3, with Range and ETag, for
// whoever holds a signed link; the partner API asks this before authenticating (nullopt: not
// this path). A bad, altered or expired link is 403, whatever it names.
std::optional<http::Response> handle_recording_audio(const http::Request& request, Store& store,
                                                     const Clock& clock,
                                                     const ApiSettings& settings);

}  // namespace callsight::api
