#include "core/dni/dncs_path.hpp"

#include <algorithm>
#include <array>

#include "common/base64.hpp"

namespace callsight::dni {
namespace {

constexpr std::size_t kMaxCallbackLength = 64;

bool is_callback_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

bool is_safe_callback(std::string_view name) {
  if (name.empty() || name.size() > kMaxCallbackLength || !is_callback_start(name.front())) {
    return false;
  }
  return std::all_of(name.begin() + 1, name.end(), [](char c) {
    return is_callback_start(c) || (c >= '0' && c <= '9') || c == '.';
  });
}

std::vector<std::string> csv_items(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = std::min(text.find(','), text.size());
    if (comma > 0) items.emplace_back(text.substr(0, comma));
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return items;
}

// Where each parameter goes; `encoded` ones are base64url without padding.
struct Field {
  std::string_view name;
  bool encoded;
  std::string DncsPathRequest::*target;
};

constexpr std::array<Field, 7> kFields{{
    {"callback", false, &DncsPathRequest::callback},
    {"advid", true, &DncsPathRequest::advid},
    {"sessionId", false, &DncsPathRequest::session_id},
    {"trackingId", false, &DncsPathRequest::tracking_id},
    {"url", true, &DncsPathRequest::url},
    {"referrer", true, &DncsPathRequest::referrer},
    {"parameters", true, &DncsPathRequest::parameters},
}};

// Stores one known segment's value; false when the value is not acceptable.
bool store(DncsPathRequest& request, std::string_view name, std::string_view value) {
  if (name == "preFlight") {
    request.preflight = value == "1";
    return value == "0" || value == "1";
  }
  if (name == "numbersToReplace") {
    const auto csv = decode_base64url_unpadded(value);
    if (csv) request.numbers_to_replace = csv_items(*csv);
    return csv.has_value();
  }
  for (const auto& field : kFields) {
    if (field.name != name) continue;
    const auto decoded =
        field.encoded ? decode_base64url_unpadded(value) : std::optional<std::string>(value);
    if (decoded) request.*field.target = *decoded;
    return decoded.has_value();
  }
  return false;
}

bool is_known(std::string_view name) {
  return name == "numbersToReplace" || name == "preFlight" ||
         std::any_of(kFields.begin(), kFields.end(),
                     [&](const Field& f) { return f.name == name; });
}

DncsPathResult refuse(std::string_view parameter) { return {std::nullopt, std::string(parameter)}; }

}  // namespace

DncsPathResult parse_dncs_path(std::string_view segments) {
  DncsPathRequest request;
  std::vector<std::string_view> seen;
  while (!segments.empty()) {
    const auto slash = std::min(segments.find('/'), segments.size());
    const auto segment = segments.substr(0, slash);
    segments.remove_prefix(std::min(slash + 1, segments.size()));
    if (segment.empty()) continue;
    const auto colon = segment.find(':');
    if (colon == 0 || colon == std::string_view::npos) return refuse("path");
    const auto name = segment.substr(0, colon);
    if (!is_known(name)) continue;
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) return refuse(name);
    seen.push_back(name);
    if (!store(request, name, segment.substr(colon + 1))) return refuse(name);
  }
  if (!is_safe_callback(request.callback)) return refuse("callback");
  request.advid = request.advid.substr(0, request.advid.find(';'));
  if (request.advid.empty()) return refuse("advid");
  return {std::move(request), ""};
}

}  // namespace callsight::dni
