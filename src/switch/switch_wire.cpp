#include "switch/switch_wire.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/utf8.hpp"

namespace callsight::switching {
namespace {

using nlohmann::json;

// Bounds what one request can make the store keep, in code points; SIP Call-IDs are far
// shorter.
constexpr std::size_t kMaxTextLength = 255;
// Unix seconds up to the year 9999: anything later is a unit mix-up (milliseconds).
constexpr long long kMaxUnixSeconds = 253402300799;

struct Body {
  json object;
  std::optional<WireError> error;
};

// Switches build the body from SIP headers, which may carry any bytes (a caller's display
// name): invalid UTF-8 becomes U+FFFD rather than a parse error that would fail the call.
Body parse_object(std::string_view text) {
  auto parsed = json::parse(utf8::sanitize(text), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return {{}, WireError{"", "the body must be a JSON object"}};
  return {std::move(parsed), std::nullopt};
}

// A string field, or a number given for it; nullopt when absent or null.
std::variant<std::optional<std::string>, WireError> text_field(const json& object,
                                                               const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_number_integer())
    return std::optional<std::string>(std::to_string(it->get<long long>()));
  if (!it->is_string()) return WireError{name, std::string(name) + " must be a string"};
  auto value = it->get<std::string>();
  if (utf8::code_points(value) > kMaxTextLength) {
    return WireError{name, std::string(name) + " is longer than 255 characters"};
  }
  return std::optional<std::string>(std::move(value));
}

// An integer field within [low, high], given as a number or a string of digits.
std::variant<std::optional<long long>, WireError> integer_field(const json& object,
                                                                const char* name, long long low,
                                                                long long high) {
  auto text = text_field(object, name);
  if (auto* error = std::get_if<WireError>(&text)) return *error;
  const auto& value = std::get<std::optional<std::string>>(text);
  if (!value) return std::optional<long long>();
  long long number = 0;
  const auto* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, number);
  if (ec != std::errc() || ptr != end || number < low || number > high) {
    return WireError{name, std::string(name) + " must be an integer from " + std::to_string(low) +
                               " to " + std::to_string(high)};
  }
  return std::optional<long long>(number);
}

// Collects fields until the first error, so each parser reads as a list of fields.
class FieldReader {
 public:
  explicit FieldReader(const json& object) : object_(object) {}

  std::string required_text(const char* name) {
    auto value = optional_text(name);
    if (!error_ && (!value || value->empty()))
      error_ = WireError{name, std::string(name) + " is required"};
    return value.value_or("");
  }
  std::optional<std::string> optional_text(const char* name) {
    if (error_) return std::nullopt;
    auto value = text_field(object_, name);
    if (auto* error = std::get_if<WireError>(&value)) {
      error_ = *error;
      return std::nullopt;
    }
    return std::get<std::optional<std::string>>(value);
  }
  // Any text, cut to its first kMaxTextLength code points rather than refused: what SIP
  // sent as the caller must never fail the call.
  std::string clipped_text(const char* name) {
    if (error_) return "";
    const auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return "";
    if (!it->is_string()) return optional_text(name).value_or("");
    return std::string(utf8::first_code_points(it->get_ref<const std::string&>(), kMaxTextLength));
  }
  std::optional<long long> optional_integer(const char* name, long long low, long long high) {
    if (error_) return std::nullopt;
    auto value = integer_field(object_, name, low, high);
    if (auto* error = std::get_if<WireError>(&value)) {
      error_ = *error;
      return std::nullopt;
    }
    return std::get<std::optional<long long>>(value);
  }
  const std::optional<WireError>& error() const { return error_; }

 private:
  const json& object_;
  std::optional<WireError> error_;
};

std::string flag(bool value) { return value ? "1" : "0"; }

}  // namespace

std::variant<RouteRequest, WireError> parse_route_request(std::string_view body) {
  auto parsed = parse_object(body);
  if (parsed.error) return *parsed.error;
  FieldReader fields(parsed.object);
  RouteRequest request;
  request.switch_call_id = fields.required_text("call_id");
  request.caller = fields.clipped_text("caller");
  request.dialled = fields.required_text("dialled");
  const auto at = fields.optional_integer("at", 0, kMaxUnixSeconds);
  if (fields.error()) return *fields.error();
  if (at) request.at = TimePoint(std::chrono::seconds(*at));
  return request;
}

namespace {

std::variant<EventRequest, WireError> event_from(const json& object) {
  if (!object.is_object()) return WireError{"", "an event must be a JSON object"};
  FieldReader fields(object);
  EventRequest request;
  request.switch_call_id = fields.required_text("call_id");
  const auto type_text = fields.required_text("event");
  const auto at = fields.optional_integer("at", 0, kMaxUnixSeconds);
  const auto sip_status = fields.optional_integer("sip_status", 100, 699);
  request.event.answering_number = fields.optional_text("answering_number").value_or("");
  request.event.hangup_by = fields.optional_text("hangup_by").value_or("");
  request.event.reason = fields.optional_text("reason").value_or("");
  if (fields.error()) return *fields.error();
  const auto type = parse_call_event_type(type_text);
  if (!type) {
    return WireError{"event", "event must be ringing, answered, voicemail, failed or hangup"};
  }
  if (!at) return WireError{"at", "at is required (Unix seconds)"};
  request.event.type = *type;
  request.event.at = TimePoint(std::chrono::seconds(*at));
  if (sip_status) request.event.sip_status = static_cast<int>(*sip_status);
  return request;
}

// Edge names become metric labels: short and plain, so no edge can swell or break /metrics.
bool plain_edge_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '_' ||
           c == '-';
  });
}

// A "routed" event: the call, the tracking number and caller, and the route the edge took.
std::variant<EdgeRoutedCall, WireError> routed_from(const json& object) {
  FieldReader fields(object);
  EdgeRoutedCall call;
  call.switch_call_id = fields.required_text("call_id");
  call.tracking_number = fields.required_text("dialled");
  call.caller = fields.clipped_text("caller");
  const auto at = fields.optional_integer("at", 0, kMaxUnixSeconds);
  const auto action = fields.required_text("action");
  call.answering_number = fields.optional_text("destination").value_or("");
  const auto sip_status = fields.optional_integer("sip_status", 300, 699);
  call.reason = fields.optional_text("reason").value_or("");
  call.record = fields.optional_integer("record", 0, 1).value_or(0) != 0;
  call.voicemail_on_busy = fields.optional_integer("voicemail_on_busy", 0, 1).value_or(0) != 0;
  call.voicemail_on_no_answer =
      fields.optional_integer("voicemail_on_no_answer", 0, 1).value_or(0) != 0;
  call.quarantined = fields.optional_integer("quarantined", 0, 1).value_or(0) != 0;
  if (fields.error()) return *fields.error();
  if (!at) return WireError{"at", "at is required (Unix seconds)"};
  call.at = TimePoint(std::chrono::seconds(*at));
  const auto parsed_action = parse_route_action(action);
  if (!parsed_action) return WireError{"action", "action must be forward, voicemail or reject"};
  call.action = *parsed_action;
  if (call.action == RouteAction::forward && call.answering_number.empty()) {
    return WireError{"destination", "destination is required to forward"};
  }
  if (call.action == RouteAction::reject && !sip_status) {
    return WireError{"sip_status", "sip_status is required to reject"};
  }
  call.sip_status = static_cast<int>(sip_status.value_or(0));
  return call;
}

std::variant<EdgeSpoolReport, WireError> spool_report_from(const json& object) {
  FieldReader fields(object);
  EdgeSpoolReport report;
  report.edge = fields.required_text("edge");
  constexpr long long kMaxCount = std::numeric_limits<long long>::max();
  report.depth = fields.optional_integer("depth", 0, kMaxCount).value_or(0);
  report.dropped = fields.optional_integer("dropped", 0, kMaxCount).value_or(0);
  report.lost = fields.optional_integer("lost", 0, kMaxCount).value_or(0);
  if (fields.error()) return *fields.error();
  if (!plain_edge_name(report.edge)) {
    return WireError{"edge", "edge must be 1 to 64 letters, digits or . : _ -"};
  }
  return report;
}

}  // namespace

std::variant<EventRequest, WireError> parse_event_request(std::string_view body) {
  auto parsed = parse_object(body);
  if (parsed.error) return *parsed.error;
  return event_from(parsed.object);
}

std::variant<EventBatch, WireError> parse_event_batch(std::string_view body) {
  auto parsed = parse_object(body);
  if (parsed.error) return *parsed.error;
  auto report = spool_report_from(parsed.object);
  if (auto* error = std::get_if<WireError>(&report)) return *error;
  EventBatch batch;
  batch.spool = std::move(std::get<EdgeSpoolReport>(report));
  const auto events = parsed.object.find("events");
  if (events == parsed.object.end() || !events->is_array()) {
    return WireError{"events", "events must be an array"};
  }
  if (events->size() > kMaxBatchEvents) {
    return WireError{"events", "events holds more than " + std::to_string(kMaxBatchEvents)};
  }
  for (std::size_t i = 0; i < events->size(); ++i) {
    const auto& item = (*events)[i];
    if (item.is_object() && item.value("event", json()) == "routed") {
      auto routed = routed_from(item);
      if (auto* error = std::get_if<WireError>(&routed)) {
        batch.skipped.push_back({i, std::move(*error)});
      } else {
        batch.routed.push_back(std::move(std::get<EdgeRoutedCall>(routed)));
      }
      continue;
    }
    auto event = event_from(item);
    if (auto* error = std::get_if<WireError>(&event)) {
      batch.skipped.push_back({i, std::move(*error)});
    } else {
      batch.events.push_back(std::move(std::get<EventRequest>(event)));
    }
  }
  return batch;
}

std::variant<RoutesRequest, WireError> parse_routes_request(std::string_view body) {
  auto parsed = parse_object(body);
  if (parsed.error) return *parsed.error;
  FieldReader fields(parsed.object);
  RoutesRequest request;
  request.edge = fields.required_text("edge");
  request.version = fields.optional_text("version").value_or("");
  const auto page = fields.optional_integer("page", 0, 1000000);
  if (fields.error()) return *fields.error();
  if (!plain_edge_name(request.edge)) {
    return WireError{"edge", "edge must be 1 to 64 letters, digits or . : _ -"};
  }
  request.page = static_cast<std::size_t>(page.value_or(0));
  return request;
}

std::string render_routes_page(const EdgeRouteTable& table, const RoutesRequest& request) {
  if (request.page == 0 && request.version == table.version) {
    return to_json_text(json{{"version", table.version}, {"unchanged", "1"}});
  }
  const auto pages =
      std::max<std::size_t>(1, (table.entries.size() + kRoutesPageSize - 1) / kRoutesPageSize);
  json entries = json::array();
  const auto first = std::min(table.entries.size(), request.page * kRoutesPageSize);
  const auto last = std::min(table.entries.size(), first + kRoutesPageSize);
  for (auto i = first; i < last; ++i) entries.push_back(table.entries[i]);
  return to_json_text(json{{"version", table.version},
                           {"unchanged", "0"},
                           {"page", std::to_string(request.page)},
                           {"pages", std::to_string(pages)},
                           {"entries", entries}});
}

std::variant<int, WireError> parse_claim_request(std::string_view body) {
  if (body.empty()) return 10;
  auto parsed = parse_object(body);
  if (parsed.error) return *parsed.error;
  FieldReader fields(parsed.object);
  const auto limit = fields.optional_integer("limit", 1, kMaxClaim);
  if (fields.error()) return *fields.error();
  return static_cast<int>(limit.value_or(10));
}

std::string render_decision(const RouteDecision& decision) {
  json out = json::object();
  out["action"] = std::string(to_string(decision.action));
  out["cdr_id"] = decision.cdr_id ? json(std::to_string(*decision.cdr_id)) : json(nullptr);
  switch (decision.action) {
    case RouteAction::forward:
      out["destination"] = decision.destination;
      out["caller_id"] = decision.caller_id;
      out["record"] = flag(decision.record);
      out["voicemail_on_busy"] = flag(decision.voicemail_on_busy);
      out["voicemail_on_no_answer"] = flag(decision.voicemail_on_no_answer);
      out["notice"] = flag(decision.notice);
      out["whisper"] = decision.whisper_source ? std::to_string(*decision.whisper_source) : "";
      out["greeting"] = decision.greeting ? std::to_string(*decision.greeting) : "";
      break;
    case RouteAction::voicemail:
      out["record"] = flag(decision.record);
      out["greeting"] = decision.greeting ? std::to_string(*decision.greeting) : "";
      break;
    case RouteAction::reject:
      out["sip_status"] = std::to_string(decision.sip_status);
      out["reason"] = decision.reason;
      break;
  }
  return to_json_text(out);
}

std::string render_event_result(const CallRecord& record) {
  return to_json_text(json{{"cdr_id", std::to_string(record.id)},
                           {"status", std::string(to_string(call_status(record)))}});
}

std::string render_batch_result(std::size_t applied, std::size_t unknown_calls,
                                std::size_t skipped) {
  return to_json_text(
      json{{"applied", applied}, {"unknown_calls", unknown_calls}, {"skipped", skipped}});
}

std::string render_callback_dials(const std::vector<CallbackDial>& dials) {
  json calls = json::array();
  for (const auto& dial : dials) {
    calls.push_back({{"call_id", dial.switch_call_id},
                     {"cdr_id", std::to_string(dial.cdr_id)},
                     {"callback_id", std::to_string(dial.callback_id)},
                     {"agent", dial.agent_number},
                     {"requester", dial.requester_number},
                     {"caller_id", dial.caller_id},
                     {"record", flag(dial.record)}});
  }
  return to_json_text(json{{"calls", calls}});
}

}  // namespace callsight::switching
