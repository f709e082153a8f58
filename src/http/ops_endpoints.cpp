#include "http/ops_endpoints.hpp"

#include <memory>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"
#include "core/cidr.hpp"
#include "http/error.hpp"

namespace callsight::http {
namespace {

Response json_status(int status, nlohmann::json body) {
  Response response;
  response.status = status;
  response.body = to_json_text(body);
  return response;
}

bool may_read_metrics(const Request& request, const std::vector<std::string>& allowed) {
  if (request.header("forwarded") || request.header("x-forwarded-for")) return false;
  return address_in_cidrs(request.remote_address, allowed);
}

Response not_found() { return error_response(404, {"not_found", "", "no such resource"}); }

class Ops {
 public:
  Ops(Handler inner, OpsEndpoints ops) : inner_(std::move(inner)), ops_(std::move(ops)) {}

  Response handle(const Request& request) {
    const auto path = request.path();
    if (path != "/healthz" && path != "/readyz" && path != "/metrics") return inner_(request);
    auto response = serve(request, path);
    response.route = std::string(path);
    return response;
  }

 private:
  Response serve(const Request& request, std::string_view path) {
    if (path == "/metrics" && !may_read_metrics(request, ops_.metrics_allow)) return not_found();
    if (request.method != "GET" && request.method != "HEAD") {
      auto response = error_response(405, {"method_not_allowed", "", "use GET"});
      response.headers.emplace_back("Allow", "GET, HEAD");
      return response;
    }
    if (path == "/healthz") return json_status(200, {{"status", "ok"}});
    if (path == "/readyz") {
      if (const auto reason = ops_.unready_reason()) {
        return json_status(503, {{"status", "unavailable"}, {"reason", *reason}});
      }
      return json_status(200, {{"status", "ready"}});
    }
    Response response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = ops_.metrics();
    return response;
  }

  Handler inner_;
  OpsEndpoints ops_;
};

}  // namespace

Handler with_ops_endpoints(Handler inner, OpsEndpoints ops) {
  auto endpoints = std::make_shared<Ops>(std::move(inner), std::move(ops));
  return [endpoints](const Request& request) { return endpoints->handle(request); };
}

}  // namespace callsight::http
