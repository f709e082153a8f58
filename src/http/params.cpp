#include "http/params.hpp"

#include <algorithm>
#include <cctype>

#include "common/text.hpp"
#include "common/utf8.hpp"
#include "http/error.hpp"

namespace callsight::http {
namespace {

bool is_form_content_type(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string media(content_type.substr(0, semicolon));
  media.erase(std::remove_if(media.begin(), media.end(), ::isspace), media.end());
  return ascii_lower(media) == "application/x-www-form-urlencoded";
}

ApiError invalid_name(std::string_view name) {
  // Named by its sanitised form: the raw bytes cannot be rendered, and are not echoed.
  return {"invalid_encoding", utf8::sanitize(name),
          "a parameter name is not valid UTF-8 or contains a NUL character"};
}

ApiError invalid_value(std::string_view name) {
  const std::string field(name);
  return {"invalid_encoding", field, "'" + field + "' is not valid UTF-8 text"};
}

ApiError nul_in_value(std::string_view name) {
  const std::string field(name);
  return {"invalid_encoding", field, "'" + field + "' contains a NUL character"};
}

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// Text is checked once, here, for every resource: nothing that is not UTF-8 is stored, and
// what is stored can always be rendered and sent on. Every bad field is named at once. NUL is
// valid UTF-8 but no text a partner means, and PostgreSQL's text cannot hold it.
void require_utf8(const FormFields& fields) {
  std::vector<ApiError> errors;
  for (const auto& [name, value] : fields) {
    if (!utf8::is_valid(name) || has_nul(name)) {
      errors.push_back(invalid_name(name));
    } else if (!utf8::is_valid(value)) {
      errors.push_back(invalid_value(name));
    } else if (has_nul(value)) {
      errors.push_back(nul_in_value(name));
    }
  }
  if (!errors.empty()) throw HttpError{400, std::move(errors), {}};
}

}  // namespace

Params Params::from_request(const Request& request) {
  Params params;
  params.fields_ = decode_form(request.query());
  if (!request.body.empty()) {
    const auto content_type = request.header("content-type");
    if (content_type && !is_form_content_type(*content_type)) {
      throw HttpError{
          415,
          {{"unsupported_media_type", "", "the body must be application/x-www-form-urlencoded"}},
          {}};
    }
    auto body_fields = decode_form(request.body);
    params.fields_.insert(params.fields_.end(), body_fields.begin(), body_fields.end());
  }
  require_utf8(params.fields_);
  std::vector<std::string_view> names;
  names.reserve(params.fields_.size());
  for (const auto& field : params.fields_) names.push_back(field.first);
  std::sort(names.begin(), names.end());
  if (const auto twice = std::adjacent_find(names.begin(), names.end()); twice != names.end()) {
    const std::string name(*twice);
    throw HttpError{
        400, {{"duplicate_parameter", name, "parameter '" + name + "' is given twice"}}, {}};
  }
  return params;
}

std::optional<std::string> Params::get(std::string_view name) const {
  for (const auto& [key, value] : fields_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

void Params::add_path_value(const std::string& name, const std::string& value) {
  if (!utf8::is_valid(value)) throw HttpError{400, {invalid_value(name)}, {}};
  if (const auto existing = get(name)) {
    if (*existing != value) {
      throw HttpError{
          400,
          {{"conflicting_id", name, "'" + name + "' in the path and in the parameters disagree"}},
          {}};
    }
    return;
  }
  fields_.emplace_back(name, value);
}

}  // namespace callsight::http
