#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/form.hpp"
#include "http/request.hpp"

namespace callsight::http {

// A request's parameters: the query string plus, for every method, a form-encoded body
// (the official PHP client sends DELETE parameters in the body). Every name and value is
// valid UTF-8, so readers may count code points and render them without checking again.
class Params {
 public:
  // Throws HttpError: 400 malformed / invalid_encoding / duplicate_parameter, 415 for a body
  // that is not form-encoded.
  static Params from_request(const Request& request);

  std::optional<std::string> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  const FormFields& fields() const { return fields_; }

  // Adds a value taken from the path (e.g. the 7 of /customers/7). The same name given as
  // a parameter with another value is a 400 conflicting_id, a value that is not UTF-8 a 400
  // invalid_encoding.
  void add_path_value(const std::string& name, const std::string& value);

 private:
  FormFields fields_;
};

}  // namespace callsight::http
