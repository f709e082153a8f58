#include "api/render.hpp"

namespace callsight::api {

void append_json_text(std::string& out, std::string_view text) {
  bool plain = true;
  bool ascii = true;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || c == '"' || c == '\\') {
      plain = false;
      break;
    }
    if (byte >= 0x80) ascii = false;
  }
  if (plain && (ascii || utf8::is_valid(text))) {
    out += '"';
    out.append(text);
    out += '"';
  } else {
    out += to_json_text(Json(std::string(text)));
  }
}

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
