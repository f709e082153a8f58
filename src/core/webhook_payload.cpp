#include "core/webhook_payload.hpp"

#include <nlohmann/json.hpp>

#include "common/utf8.hpp"
#include "core/dni/attribution.hpp"
#include "core/time_format.hpp"

namespace callsight {
namespace {

nlohmann::json optional_id(const std::optional<Id>& id) {
  return id ? nlohmann::json(std::to_string(*id)) : nlohmann::json(nullptr);
}

nlohmann::json optional_time(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(format_utc(*t)) : nlohmann::json(nullptr);
}

}  // namespace

std::string call_event_payload(const CallRecord& record) {
  nlohmann::json payload = {
      {"cdr_id", std::to_string(record.id)},
      {"anum", mask_caller(record.caller)},
      {"bnum", record.tracking_number},
      {"cnum", record.answering_number},
      {"customer_id", std::to_string(record.customer_id)},
      {"source_id", optional_id(record.source_id)},
      {"campaign_id", optional_id(record.campaign_id)},
      {"status", std::string(to_string(call_status(record)))},
      {"answered", record.answered_at ? "1" : "0"},
      {"duration", std::to_string(call_duration_seconds(record))},
      {"start", format_utc(record.start)},
      {"answered_at", optional_time(record.answered_at)},
      {"end", optional_time(record.ended_at)},
  };
  // Only once there is one, so the payloads of calls without recordings stay as they were.
  if (record.recording_id) payload["recording_id"] = *record.recording_id;
  // Calls to numbers shown to web visitors carry the visit, or why there is none; other
  // calls' payloads stay as they were before dynamic numbers.
  if (record.attribution &&
      record.attribution->reason != dni::name_of(dni::NoVisit::static_source)) {
    for (const auto& [name, value] : attribution_fields(record.attribution)) {
      payload[std::string(name)] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    }
  }
  return to_json_text(payload);
}

std::string source_event_payload(const Source& source, SourceStatus status) {
  const nlohmann::json payload = {
      {"source_id", std::to_string(source.id)},
      {"customer_id", std::to_string(source.customer_id)},
      {"name", source.name},
      {"media", source.media},
      {"destnr", source.tracking_number},
      {"phonenr", source.answering_number},
      {"status", std::string(to_string(status))},
  };
  return to_json_text(payload);
}

std::string form_urlencode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

}  // namespace callsight
