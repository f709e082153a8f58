#pragma once

#include <string>
#include <string_view>

#include "core/call_record.hpp"
#include "core/source.hpp"

namespace callsight {

// The payload (OutboxEvent::payload) of call events: a JSON object whose keys are the
// template macros (docs/webhooks.md); every value a string or null.
std::string call_event_payload(const CallRecord& record);

// The payload of source events.
std::string source_event_payload(const Source& source, SourceStatus status);

// application/x-www-form-urlencoded encoding of one value: unreserved characters as they
// are, space as '+', every other byte as %XX.
std::string form_urlencode(std::string_view value);

}  // namespace callsight
