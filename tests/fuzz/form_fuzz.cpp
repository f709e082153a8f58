// The form/query decoder and the parameter readers every API handler uses.
// Input: the request target (path and query) on the first line, the form body after it.
#include <string>

#include "api/fields.hpp"
#include "common/utf8.hpp"
#include "fuzz_target.hpp"
#include "http/error.hpp"
#include "http/params.hpp"

namespace {

using callsight::api::Fields;
using callsight::http::HttpError;

// Every error a request can get must render, in UTF-8, whatever bytes the request held.
void check_renders(const HttpError& error) {
  if (!callsight::utf8::is_valid(
          callsight::http::error_response(error.status, error.errors).body)) {
    __builtin_trap();
  }
}

// Reads every parameter with every reader, the way handlers read source, campaign and
// customer settings; errors are collected, never thrown, until throw_if_errors().
void read_all(const callsight::http::Params& params) {
  Fields fields(params);
  for (const auto& [name, value] : params.fields()) {
    fields.text(name, 255);
    fields.non_empty_text(name, 64);
    fields.email(name, 255);
    fields.integer(name, -1, 1000000);
    fields.choice(name, {0, 1});
    fields.id(name);
    fields.phone_number(name, "SE");
    fields.e164_number(name);
    fields.json_text(name, 4096);
    fields.utc_time(name);
  }
  fields.allow_only({"name", "custnr", "phonenr", "timestamp", "expire"});
  try {
    callsight::api::read_page(fields);
    callsight::api::required_id(params, "customer_id");
    fields.throw_if_errors();
  } catch (const HttpError& error) {
    check_renders(error);
  }
}

}  // namespace

CALLSIGHT_FUZZ_TARGET(form) {
  const auto [target, body] = callsight::fuzz::split_line(input);
  callsight::http::Request request;
  request.method = "POST";
  request.target = std::string(target);
  request.body = std::string(body);
  request.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  try {
    callsight::http::url_decode(target);
    auto params = callsight::http::Params::from_request(request);
    params.add_path_value("customer_id", "7");
    read_all(params);
  } catch (const HttpError& error) {
    check_renders(error);
  }
}
