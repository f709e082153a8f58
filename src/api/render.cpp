#include "api/render.hpp"

namespace callsight::api {

http::Response one(std::string_view key, Json object) {
  Json body;
  body[std::string(key)] = Json::array({std::move(object)});
  return http::Response{200, "application/json", {}, to_json_text(body)};
}

http::Response list(std::string_view key, Json items, std::int64_t total, const PageRequest& page) {
  const std::int64_t numpages = (total + page.pagesize - 1) / page.pagesize;
  Json body;
  body[std::string(key)] = std::move(items);
  body["total"] = str(total);
  body["page"] = str(page.page);
  body["pagesize"] = str(page.pagesize);
  body["numpages"] = str(numpages);
  return http::Response{200, "application/json", {}, to_json_text(body)};
}

}  // namespace callsight::api
