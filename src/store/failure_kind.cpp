#include "store/failure_kind.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/media/media_error.hpp"
#include "store/store.hpp"

namespace callsight {

std::string failure_kind(const std::exception& error) {
  if (const auto* json = dynamic_cast<const nlohmann::json::exception*>(&error)) {
    return "JSON error " + std::to_string(json->id);
  }
  if (dynamic_cast<const StoreError*>(&error)) return "database error";
  if (dynamic_cast<const media::MediaError*>(&error)) return error.what();
  if (const auto* file = dynamic_cast<const std::filesystem::filesystem_error*>(&error)) {
    return "file error (" + file->code().message() + ")";
  }
  return "unexpected error";
}

}  // namespace callsight
