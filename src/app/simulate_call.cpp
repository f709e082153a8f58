#include "app/simulate_call.hpp"

#include <cstdlib>
#include <ostream>
#include <stdexcept>
#include <thread>

#include "common/random.hpp"
#include "http/client.hpp"

namespace callsight::app {
namespace {

using nlohmann::json;
using std::chrono::seconds;

// Kamailio's own switch timeout is 1 s; a person at a terminal can afford more.
constexpr std::chrono::milliseconds kSwitchTimeout{5000};
constexpr const char* kSecretHeader = "X-Callsight-Switch-Secret";

std::string text_field(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// The contract sends flags as "1"; a server that sends 1 or true means the same.
bool flag_field(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return false;
  return *it == "1" || *it == 1 || *it == true;
}

std::string describe_answer(const json& answer) {
  const std::string action = text_field(answer, "action");
  std::string line = action;
  if (action == "forward") {
    line += " destination=" + text_field(answer, "destination") +
            " caller_id=" + text_field(answer, "caller_id");
    if (flag_field(answer, "voicemail_on_busy")) line += " voicemail_on_busy";
    if (flag_field(answer, "voicemail_on_no_answer")) line += " voicemail_on_no_answer";
  } else if (action == "reject") {
    line += " sip_status=" + text_field(answer, "sip_status") + " reason=\"" +
            text_field(answer, "reason") + "\"";
  }
  return line;
}

std::vector<PlannedEvent> plan_forward(const json& answer, const SimulateCallOptions& options) {
  std::vector<PlannedEvent> events{{"ringing", "180", seconds{0}}};
  if (options.busy || options.no_answer) {
    const seconds failed_at = options.busy ? seconds{0} : options.answer_after;
    const std::string failure = options.busy ? "486" : "408";
    const bool diverts = options.busy ? flag_field(answer, "voicemail_on_busy")
                                      : flag_field(answer, "voicemail_on_no_answer");
    // A diverted call does not end with the failure: the voicemail leg's hangup ends it.
    if (diverts) {
      events.push_back({"voicemail", failure, failed_at});
      events.push_back({"hangup", "200", failed_at + options.talk});
    } else {
      events.push_back({"failed", failure, failed_at});
    }
    return events;
  }
  events.push_back({"answered", "200", options.answer_after});
  events.push_back({"hangup", "200", options.answer_after + options.talk});
  return events;
}

class SwitchSession {
 public:
  SwitchSession(const SimulateCallOptions& options, const SwitchUrl& url)
      : client_({.host = url.host, .port = url.port, .timeout = kSwitchTimeout}),
        base_path_(url.base_path),
        secret_(options.secret) {}

  // POSTs `body`; returns the answer's body, or throws naming what went wrong.
  std::string post(const std::string& path, const json& body, bool expect_200) {
    const auto response =
        client_.send({.method = "POST",
                      .target = base_path_ + path,
                      .headers = {{"Content-Type", "application/json"}, {kSecretHeader, secret_}},
                      .body = body.dump()});
    const int status = response.status;
    if (status == 401 || status == 403) {
      throw std::runtime_error("the switch refused the secret (HTTP " + std::to_string(status) +
                               " on " + path + "); check --secret-env");
    }
    const bool ok = expect_200 ? status == 200 : status >= 200 && status < 300;
    if (!ok) {
      throw std::runtime_error("the switch answered HTTP " + std::to_string(status) + " on " +
                               path + (response.body.empty() ? "" : ": " + response.body));
    }
    return response.body;
  }

 private:
  http::Client client_;
  std::string base_path_;
  std::string secret_;
};

json parse_route_answer(const std::string& body) {
  json answer = json::parse(body, nullptr, false);
  if (!answer.is_object()) {
    throw std::runtime_error("the switch's route answer is not a JSON object: " + body);
  }
  return answer;
}

json event_body(const PlannedEvent& planned, const json& answer, const std::string& call_id,
                TimePoint at) {
  json body = {{"call_id", call_id},
               {"event", planned.event},
               {"sip_status", planned.sip_status},
               {"at", at.time_since_epoch().count()}};
  if (answer.contains("cdr_id")) body["cdr_id"] = text_field(answer, "cdr_id");
  if (planned.event == "answered") body["answering_number"] = text_field(answer, "destination");
  if (planned.event == "hangup") body["hangup_by"] = "caller";
  return body;
}

}  // namespace

SwitchUrl parse_switch_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    throw std::invalid_argument("--switch must be http://HOST[:PORT][/PATH] (no TLS): " + url);
  }
  const std::string rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  SwitchUrl parts;
  if (slash != std::string::npos) parts.base_path = rest.substr(slash);
  while (!parts.base_path.empty() && parts.base_path.back() == '/') {
    parts.base_path.pop_back();
  }
  const auto colon = authority.rfind(':');
  parts.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    const bool numeric = !port.empty() && port.size() <= 5 &&
                         port.find_first_not_of("0123456789") == std::string::npos;
    if (!numeric || std::stoul(port) == 0 || std::stoul(port) > 65535) {
      throw std::invalid_argument("--switch has a bad port: " + url);
    }
    parts.port = static_cast<std::uint16_t>(std::stoul(port));
  }
  if (parts.host.empty()) throw std::invalid_argument("--switch has no host: " + url);
  return parts;
}

std::string secret_from_env(const std::string& name) {
  const char* secret = std::getenv(name.c_str());
  if (secret == nullptr || *secret == '\0') {
    throw std::invalid_argument("the switch secret is not set: export " + name +
                                " (or name another variable with --secret-env)");
  }
  return secret;
}

std::vector<PlannedEvent> plan_events(const json& route_answer,
                                      const SimulateCallOptions& options) {
  const std::string action = text_field(route_answer, "action");
  if (action == "reject") return {};
  if (action == "voicemail") {
    return {{"voicemail", "200", seconds{0}}, {"hangup", "200", options.talk}};
  }
  if (action == "forward") {
    if (text_field(route_answer, "destination").empty()) {
      throw std::runtime_error("the switch forwarded without a destination");
    }
    return plan_forward(route_answer, options);
  }
  throw std::runtime_error("the switch answered an unknown action '" + action + "'");
}

void simulate_call(const SimulateCallOptions& options, const Clock& clock, std::ostream& out) {
  if (options.busy && options.no_answer) {
    throw std::invalid_argument("--busy and --no-answer exclude each other");
  }
  SwitchSession session(options, parse_switch_url(options.switch_url));
  const std::string call_id = "sim-" + random_hex(8);
  const TimePoint start = clock.now();
  const auto start_steady = std::chrono::steady_clock::now();

  out << "route     call_id=" << call_id << " caller=" << options.caller
      << " dialled=" << options.dialled << std::endl;
  const json answer = parse_route_answer(session.post("/switch/route",
                                                      {{"call_id", call_id},
                                                       {"caller", options.caller},
                                                       {"dialled", options.dialled},
                                                       {"at", start.time_since_epoch().count()}},
                                                      true));
  out << "answer    " << describe_answer(answer) << std::endl;

  for (const auto& planned : plan_events(answer, options)) {
    if (options.real_time) std::this_thread::sleep_until(start_steady + planned.offset);
    const TimePoint at = start + planned.offset;
    session.post("/switch/events", event_body(planned, answer, call_id, at), false);
    out << "event     " << planned.event << " sip_status=" << planned.sip_status
        << " at=" << at.time_since_epoch().count() << " (+" << planned.offset.count() << " s)"
        << std::endl;
  }
  const std::string cdr_id = text_field(answer, "cdr_id");
  out << "cdr_id    " << (cdr_id.empty() ? "(none)" : cdr_id) << std::endl;
}

}  // namespace callsight::app
