// POST /dncs (docs/api.md, "Signed number requests"): Freespee's request keys, Callsight's
// signature (core/dni/signature.hpp), the customer named by parameters.custnr.
#include "api/dni_signed.hpp"

#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "api/dni_requests.hpp"
#include "api/fields.hpp"
#include "api/render.hpp"
#include "common/random.hpp"
#include "common/utf8.hpp"
#include "core/cidr.hpp"
#include "core/dni/signature.hpp"
#include "core/dni/visit.hpp"
#include "core/phone_number.hpp"
#include "http/error.hpp"
#include "store/customer_store.hpp"
#include "store/partner_store.hpp"

namespace callsight::api {
namespace {

constexpr std::string_view kPath = "/dncs";
constexpr std::string_view kPartnerHeader = "x-callsight-partner";
constexpr std::string_view kTimestampHeader = "x-callsight-timestamp";
constexpr std::string_view kSignatureHeader = "x-callsight-signature";
constexpr std::size_t kCustnameMaxLength = 60;  // a customer's name, as /customers
constexpr std::size_t kCustemailMaxLength = 150;

// The partner the request names, if its signature is good and fresh and was never seen
// before (on any node: the store remembers it for as long as the timestamp is accepted).
Partner signed_partner(const http::Request& request, Store& store, const Clock& clock) {
  const auto username = request.header(kPartnerHeader);
  const auto partner = username && utf8::is_valid(*username)
                           ? store.partners().find_partner_by_username(*username)
                           : std::nullopt;
  // An unknown partner is told apart from a wrong signature by nobody.
  if (!partner) refuse(401, "bad_signature", "X-Callsight-Signature", "the signature is wrong");
  if (!address_in_cidrs(request.remote_address, partner->allowed_cidrs)) {
    refuse(403, "ip_not_allowed", "", "requests from this address are not allowed");
  }
  const auto timestamp = request.header(kTimestampHeader).value_or("");
  const auto signature = request.header(kSignatureHeader).value_or("");
  const auto now = clock.now();
  switch (dni::verify_signature(store.shared_secret(dncs_secret_name(partner->id)), timestamp,
                                signature, request.body, now)) {
    case dni::SignatureCheck::valid:
      break;
    case dni::SignatureCheck::bad_timestamp:
      refuse(401, "bad_timestamp", "X-Callsight-Timestamp",
             "the timestamp must be Unix seconds in decimal digits");
    case dni::SignatureCheck::stale:
      refuse(401, "stale", "X-Callsight-Timestamp",
             "the timestamp is more than 300 seconds from the server's clock");
    case dni::SignatureCheck::bad_signature:
      refuse(401, "bad_signature", "X-Callsight-Signature", "the signature is wrong");
  }
  // Any accepted timestamp lies within one window of now, so it is refused from now + two
  // windows on: remembering the signature that long covers its whole life.
  if (!store.dni().remember_signature(partner->id, std::string(signature),
                                      now + 2 * dni::kSignatureWindow)) {
    refuse(401, "replayed", "X-Callsight-Signature", "this signature was used before");
  }
  return *partner;
}

// The request's keys, each checked for its JSON type; wire names only here.
struct SignedRequest {
  std::string full_url;
  std::string full_referrer;
  std::optional<std::string> tracking_id;
  std::optional<std::string> session_id;
  std::vector<std::string> numbers;
  bool from_app = false;
  std::string user_agent;
  std::string request_ip_address;
  std::string custnr;
  std::optional<std::string> custname;
  std::string custemail;
  std::string ga_cookie;
};

std::optional<std::string> text_key(const nlohmann::json& object, const char* key,
                                    const std::string& field) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) refuse(400, "invalid", field, "'" + field + "' must be a string");
  auto text = it->get<std::string>();
  require_no_nul(text, field);
  return text;
}

std::optional<std::string> client_id_key(const nlohmann::json& object, const char* key) {
  auto id = text_key(object, key, key);
  if (!id || id->empty()) return std::nullopt;
  if (!is_client_id(*id)) {
    refuse(400, "invalid", key, std::string("'") + key + "' must be letters, digits, '-' or '_'");
  }
  return id;
}

void check_length(const std::string& value, std::size_t max_length, const std::string& field) {
  if (utf8::code_points(value) > max_length) {
    refuse(400, "too_long", field,
           "'" + field + "' is longer than " + std::to_string(max_length) + " characters");
  }
}

// A body that is not UTF-8 is no JSON, but its sender is told which text is at fault, as
// every other route tells it (docs/api.md, "text"): the first key whose string value holds a
// bad byte (read as U+FFFD), else the body as a whole.
[[noreturn]] void refuse_invalid_encoding(const std::string& body) {
  const auto parsed = nlohmann::json::parse(utf8::sanitize(body), nullptr, false);
  const std::string_view replacement = "\xEF\xBF\xBD";
  const auto holds_replacement = [&](const nlohmann::json& value) {
    return value.is_string() &&
           value.get_ref<const std::string&>().find(replacement) != std::string::npos;
  };
  if (parsed.is_object()) {
    for (const auto& [key, value] : parsed.items()) {
      if (holds_replacement(value)) {
        refuse(400, "invalid_encoding", key, "'" + key + "' is not valid UTF-8 text");
      }
      if (key == "parameters" && value.is_object()) {
        for (const auto& [inner, inner_value] : value.items()) {
          const auto field = "parameters." + inner;
          if (holds_replacement(inner_value)) {
            refuse(400, "invalid_encoding", field, "'" + field + "' is not valid UTF-8 text");
          }
        }
      }
    }
  }
  refuse(400, "invalid_encoding", "", "the body is not valid UTF-8 text");
}

SignedRequest read_signed_request(const http::Request& request) {
  const auto content_type = request.header("content-type").value_or("");
  if (!content_type.starts_with("application/json")) {
    refuse(415, "unsupported_media_type", "", "the body must be application/json");
  }
  if (!utf8::is_valid(request.body)) refuse_invalid_encoding(request.body);
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object()) refuse(400, "malformed", "", "the body must be a JSON object");
  SignedRequest signed_request;
  signed_request.full_url = text_key(body, "fullUrl", "fullUrl").value_or("");
  signed_request.full_referrer = text_key(body, "fullReferrer", "fullReferrer").value_or("");
  signed_request.tracking_id = client_id_key(body, "trackingId");
  signed_request.session_id = client_id_key(body, "sessionId");
  const auto type = text_key(body, "type", "type").value_or("web");
  if (type != "web" && type != "app") refuse(400, "invalid", "type", "'type' must be web or app");
  signed_request.from_app = type == "app";
  signed_request.user_agent = text_key(body, "userAgent", "userAgent").value_or("");
  signed_request.request_ip_address =
      text_key(body, "requestIpAddress", "requestIpAddress").value_or("");
  if (const auto numbers = body.find("numbers"); numbers != body.end() && !numbers->is_null()) {
    if (!numbers->is_array()) refuse(400, "invalid", "numbers", "'numbers' must be a list");
    for (const auto& number : *numbers) {
      if (!number.is_string()) refuse(400, "invalid", "numbers", "'numbers' must hold strings");
      signed_request.numbers.push_back(number.get<std::string>());
    }
  }
  const auto parameters = body.find("parameters");
  if (parameters == body.end() || !parameters->is_object()) {
    refuse(400, "missing", "parameters.custnr", "'parameters.custnr' is required");
  }
  const auto custnr = text_key(*parameters, "custnr", "parameters.custnr");
  if (!custnr || custnr->empty()) {
    refuse(400, "missing", "parameters.custnr", "'parameters.custnr' is required");
  }
  check_length(*custnr, kCustnrMaxLength, "parameters.custnr");
  signed_request.custnr = *custnr;
  signed_request.custname = text_key(*parameters, "custname", "parameters.custname");
  if (signed_request.custname) {
    check_length(*signed_request.custname, kCustnameMaxLength, "parameters.custname");
  }
  signed_request.custemail =
      text_key(*parameters, "custemail", "parameters.custemail").value_or("");
  check_length(signed_request.custemail, kCustemailMaxLength, "parameters.custemail");
  signed_request.ga_cookie = text_key(*parameters, "_ga", "parameters._ga").value_or("");
  return signed_request;
}

// The partner's customer with this custnr; an unknown one is created when the request names
// it (custname), as Freespee did.
Customer customer_for(Store& store, const Partner& partner, const SignedRequest& request) {
  const auto found =
      store.customers().list_customers(partner.id, {.custnr = request.custnr}, {.pagesize = 1});
  if (!found.items.empty()) return found.items.front();
  if (!request.custname || request.custname->empty()) {
    refuse(404, "not_found", "parameters.custnr", "no customer has this custnr");
  }
  Customer customer;
  customer.partner_id = partner.id;
  customer.name = *request.custname;
  customer.custnr = request.custnr;
  customer.email = request.custemail;
  customer.uuid = time_ordered_uuid();
  return store.customers().create_customer(customer);
}

http::Response post_signed_number(const http::Request& request, Store& store, const Clock& clock) {
  const auto partner = signed_partner(request, store, clock);
  const auto signed_request = read_signed_request(request);
  const auto customer = customer_for(store, partner, signed_request);
  // The customer's pools, read as a browser's request reads them (by its uuid).
  const auto site = store.dni().find_site(customer.uuid);
  if (!site || site->customer_id != customer.id) {
    refuse(404, "not_found", "parameters.custnr", "no customer has this custnr");
  }
  const auto visit = dni::read_visit(signed_request.full_url, signed_request.full_referrer,
                                     signed_request.ga_cookie);
  const auto& pool = pool_for_visit(*site, visit);
  const auto answer = hand_out(store, *site, pool, visit,
                               {.session_id = signed_request.session_id,
                                .visitor_id = signed_request.tracking_id,
                                .consent = true,
                                .user_agent = signed_request.user_agent,
                                .address = signed_request.request_ip_address,
                                .from_app = signed_request.from_app});
  if (!answer) {
    refuse(403, "blocked_user_agent", "userAgent", std::string(kBlockedUserAgent));
  }
  const auto number = shown_number(*answer);
  const Json body = {{"status", "success"},
                     {"custnr", customer.custnr},
                     {"customer_id", str(customer.id)},
                     {"pool_id", str(pool.id)},
                     {"session_id", answer->session_id},
                     {"tracking_id", answer->visitor_id.value_or("")},
                     {"number", str_or_null(number)},
                     {"local", number ? Json(format_national(*number)) : Json()},
                     {"meas_id", str(answer->assignment_id)},
                     {"numbers", dncs_numbers(*site, pool, *answer, signed_request.numbers)}};
  return http::Response{200, "application/json", {}, to_json_text(body)};
}

}  // namespace

std::string dncs_secret_name(Id partner_id) { return "dncs/" + std::to_string(partner_id); }

std::optional<http::Response> handle_signed_number_request(const http::Request& request,
                                                           Store& store, const Clock& clock,
                                                           WorkerPool* workers) {
  if (request.path() != kPath) return std::nullopt;
  const NameLaterAnswer naming(kPath, std::nullopt);
  auto response = render_errors([&] {
    if (request.method != "POST") {
      throw http::HttpError{
          405,
          {{"method_not_allowed", "", request.method + " is not allowed here; use POST"}},
          {{"Allow", "POST"}}};
    }
    return answer_from_worker(
        workers, [request, &store, &clock] { return post_signed_number(request, store, clock); });
  });
  response.route = kPath;
  return response;
}

}  // namespace callsight::api
