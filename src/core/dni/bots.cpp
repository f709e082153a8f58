#include "core/dni/bots.hpp"

#include <algorithm>
#include <array>

#include "common/text.hpp"

namespace callsight::dni {
namespace {

constexpr std::array<std::string_view, 12> kNamedCrawlers{
    "googlebot",           "bingbot",   "baiduspider", "yandexbot", "duckduckbot", "slurp",
    "facebookexternalhit", "ahrefsbot", "semrushbot",  "mj12bot",   "applebot",    "petalbot",
};

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool crawler_word(std::string_view word, bool names_product) {
  if (word == "bot" || word == "crawler" || word == "spider" || word.starts_with("headless")) {
    return true;
  }
  return word.ends_with("crawler") || word.ends_with("spider") ||
         (names_product && word.ends_with("bot"));
}

bool has_crawler_word(std::string_view lower) {
  std::size_t i = 0;
  while (i < lower.size()) {
    const auto start = i;
    while (i < lower.size() && is_alnum(lower[i])) ++i;
    const bool names_product = i < lower.size() && lower[i] == '/';
    if (i > start && crawler_word(lower.substr(start, i - start), names_product)) return true;
    i = std::max(i, start + 1);
  }
  return false;
}

}  // namespace

bool is_known_crawler(std::string_view user_agent) {
  if (user_agent.empty()) return true;
  const std::string lower = ascii_lower(user_agent);
  const bool named = std::any_of(kNamedCrawlers.begin(), kNamedCrawlers.end(),
                                 [&](auto name) { return lower.find(name) != std::string::npos; });
  return named || has_crawler_word(lower);
}

bool is_denied(std::string_view user_agent, const std::vector<std::string>& deny_list) {
  const std::string lower = ascii_lower(user_agent);
  return std::any_of(deny_list.begin(), deny_list.end(), [&](const std::string& entry) {
    return !entry.empty() && lower.find(ascii_lower(entry)) != std::string::npos;
  });
}

bool is_bot(std::string_view user_agent, const std::vector<std::string>& deny_list) {
  return is_known_crawler(user_agent) || is_denied(user_agent, deny_list);
}

}  // namespace callsight::dni
