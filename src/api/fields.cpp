#include "api/fields.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <regex>
#include <variant>

#include "common/utf8.hpp"
#include "core/phone_number.hpp"
#include "core/time_format.hpp"

namespace callsight::api {
namespace {

std::string quote_name(std::string_view name) { return "'" + std::string(name) + "'"; }

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// Deliberately loose: one '@', something before it, a dot in the domain, no spaces.
bool looks_like_email(const std::string& text) {
  static const std::regex kEmail(R"([^@\s]+@[^@\s]+\.[^@\s.]+)");
  return std::regex_match(text, kEmail);
}

}  // namespace

bool Fields::missing(std::string_view name, Presence presence) {
  if (params_.has(name)) return false;
  if (presence == Presence::required) {
    add_error("missing", std::string(name), quote_name(name) + " is required");
  }
  return true;
}

std::optional<std::string> Fields::text(std::string_view name, std::size_t max_length,
                                        Presence presence) {
  if (missing(name, presence)) return std::nullopt;
  auto value = *params_.get(name);
  // The documented limits count characters (code points), not bytes: "Malmö" is 5.
  if (utf8::code_points(value) > max_length) {
    add_error("too_long", std::string(name),
              quote_name(name) + " is longer than " + std::to_string(max_length) + " characters");
    return std::nullopt;
  }
  if (presence == Presence::required && value.empty()) {
    add_error("missing", std::string(name), quote_name(name) + " must not be empty");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Fields::non_empty_text(std::string_view name, std::size_t max_length,
                                                  Presence presence) {
  auto value = text(name, max_length, presence);
  if (value && value->empty()) {
    add_error("missing", std::string(name), quote_name(name) + " must not be empty");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Fields::email(std::string_view name, std::size_t max_length,
                                         Presence presence) {
  auto value = text(name, max_length, presence);
  if (!value || (value->empty() && presence == Presence::optional)) return value;
  if (!looks_like_email(*value)) {
    add_error("invalid", std::string(name), quote_name(name) + " is not an e-mail address");
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> Fields::integer(std::string_view name, std::int64_t min,
                                            std::int64_t max, Presence presence) {
  if (missing(name, presence)) return std::nullopt;
  const auto value = parse_integer(*params_.get(name));
  if (!value || *value < min || *value > max) {
    add_error("invalid", std::string(name),
              quote_name(name) + " must be an integer from " + std::to_string(min) + " to " +
                  std::to_string(max));
    return std::nullopt;
  }
  return value;
}

std::optional<int> Fields::choice(std::string_view name, std::initializer_list<int> allowed,
                                  Presence presence) {
  if (missing(name, presence)) return std::nullopt;
  const auto value = parse_integer(*params_.get(name));
  if (!value || std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
    std::string list;
    for (int a : allowed) list += (list.empty() ? "" : ", ") + std::to_string(a);
    add_error("invalid", std::string(name), quote_name(name) + " must be one of " + list);
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<Id> Fields::id(std::string_view name, Presence presence) {
  return integer(name, 1, std::numeric_limits<Id>::max(), presence);
}

std::optional<std::string> Fields::phone_number(std::string_view name, std::string_view country,
                                                Presence presence) {
  if (missing(name, presence)) return std::nullopt;
  auto result = normalize_phone_number(*params_.get(name), country);
  if (auto* error = std::get_if<PhoneNumberError>(&result)) {
    add_error("invalid", std::string(name), quote_name(name) + ": " + error->message);
    return std::nullopt;
  }
  return std::get<std::string>(std::move(result));
}

std::optional<std::string> Fields::e164_number(std::string_view name, Presence presence) {
  if (missing(name, presence)) return std::nullopt;
  auto result = normalize_e164_only(*params_.get(name));
  if (auto* error = std::get_if<PhoneNumberError>(&result)) {
    add_error("invalid", std::string(name), quote_name(name) + ": " + error->message);
    return std::nullopt;
  }
  return std::get<std::string>(std::move(result));
}

std::optional<std::string> Fields::json_text(std::string_view name, std::size_t max_length) {
  auto value = text(name, max_length);
  if (!value || value->empty()) return std::nullopt;
  if (!nlohmann::json::accept(*value)) {
    add_error("invalid", std::string(name), quote_name(name) + " must be JSON");
    return std::nullopt;
  }
  return value;
}

std::optional<TimePoint> Fields::utc_time(std::string_view name, Presence presence) {
  if (missing(name, presence)) return std::nullopt;
  const auto value = parse_utc(*params_.get(name));
  if (!value) {
    add_error("invalid", std::string(name),
              quote_name(name) + " must be a UTC time 'YYYY-MM-DD HH:MM:SS'");
  }
  return value;
}

void Fields::allow_only(std::initializer_list<std::string_view> known,
                        const std::vector<std::string>& more_known) {
  for (const auto& [name, value] : params_.fields()) {
    const bool is_known = std::find(known.begin(), known.end(), name) != known.end() ||
                          std::find(more_known.begin(), more_known.end(), name) != more_known.end();
    if (!is_known)
      add_error("unknown_parameter", name, quote_name(name) + " is not a parameter here");
  }
}

void Fields::add_error(std::string code, std::string field, std::string message) {
  errors_.push_back({std::move(code), std::move(field), std::move(message)});
}

void Fields::throw_if_errors() const {
  if (!errors_.empty()) throw http::HttpError{400, errors_, {}};
}

PageRequest read_page(Fields& fields) {
  PageRequest page;
  if (const auto p = fields.integer("page", 0, 1'000'000'000)) page.page = static_cast<int>(*p);
  if (const auto size = fields.integer("pagesize", 1, std::numeric_limits<int>::max())) {
    page.pagesize = static_cast<int>(std::min<std::int64_t>(*size, 1000));
  }
  return page;
}

Id required_id(const http::Params& params, std::string_view name) {
  Fields fields(params);
  const auto id = fields.id(name, Presence::required);
  fields.throw_if_errors();
  return *id;
}

void throw_not_found(std::string_view field, std::string_view what) {
  throw http::HttpError{
      404, {{"not_found", std::string(field), std::string(what) + " not found"}}, {}};
}

}  // namespace callsight::api
