#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/types.hpp"
#include "http/error.hpp"
#include "http/params.hpp"
#include "store/store.hpp"

namespace callsight::api {

// Column widths of the reference, in code points: the name of a source, campaign or voicemail
// greeting, and a customer number (custnr).
inline constexpr std::size_t kNameMaxLength = 100;
inline constexpr std::size_t kCustnrMaxLength = 45;

enum class Presence { optional, required };

// Reads and validates request parameters, collecting every error so that one answer
// names all bad fields. Nothing is written until throw_if_errors() passed. Every
// max_length counts code points (the parameters are UTF-8: Params checked them).
class Fields {
 public:
  explicit Fields(const http::Params& params) : params_(params) {}

  std::optional<std::string> text(std::string_view name, std::size_t max_length,
                                  Presence presence = Presence::optional);
  // A text that must not be empty when given (and must be given when required).
  std::optional<std::string> non_empty_text(std::string_view name, std::size_t max_length,
                                            Presence presence = Presence::optional);
  std::optional<std::string> email(std::string_view name, std::size_t max_length,
                                   Presence presence = Presence::optional);
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max,
                                      Presence presence = Presence::optional);
  std::optional<int> choice(std::string_view name, std::initializer_list<int> allowed,
                            Presence presence = Presence::optional);
  std::optional<Id> id(std::string_view name, Presence presence = Presence::optional);
  // National or E.164 input, normalised to E.164 with the partner's country.
  std::optional<std::string> phone_number(std::string_view name, std::string_view country,
                                          Presence presence = Presence::optional);
  // Resources that demand E.164 input (reference §1.6): the partner's country is not applied.
  std::optional<std::string> e164_number(std::string_view name,
                                         Presence presence = Presence::optional);
  // JSON text, stored as given; an empty value means none.
  std::optional<std::string> json_text(std::string_view name, std::size_t max_length);
  // UTC "YYYY-MM-DD HH:MM:SS" (or a date alone, meaning midnight).
  std::optional<TimePoint> utc_time(std::string_view name, Presence presence = Presence::optional);

  // POST and PUT refuse parameters they do not know.
  void allow_only(std::initializer_list<std::string_view> known,
                  const std::vector<std::string>& more_known = {});

  void add_error(std::string code, std::string field, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  void throw_if_errors() const;  // HttpError 400 with every collected error

 private:
  bool missing(std::string_view name, Presence presence);

  const http::Params& params_;
  std::vector<http::ApiError> errors_;
};

// page and pagesize: zero-based page, pagesize defaults to and caps at 1000.
PageRequest read_page(Fields& fields);

// The id a request is about, from the path or a parameter; 400 when absent or not an id.
Id required_id(const http::Params& params, std::string_view name);

[[noreturn]] void throw_not_found(std::string_view field, std::string_view what);

}  // namespace callsight::api
