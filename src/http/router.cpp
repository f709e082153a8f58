#include "http/router.hpp"

#include <algorithm>
#include <cctype>

#include "http/form.hpp"

namespace callsight::http {
namespace {

// "2.4.9", "2", "v2": a version segment is digits and dots, optionally after a 'v'.
bool is_version_segment(std::string_view segment) {
  if (!segment.empty() && segment.front() == 'v') segment.remove_prefix(1);
  if (segment.empty() || !std::isdigit(static_cast<unsigned char>(segment.front()))) return false;
  return std::all_of(segment.begin(), segment.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

}  // namespace

std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto segment = path.substr(0, slash);
    if (!segment.empty()) segments.push_back(url_decode(segment));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (!segments.empty() && is_version_segment(segments.front())) {
    segments.erase(segments.begin());
  }
  return segments;
}

}  // namespace callsight::http
