#include "core/dni/bots.hpp"

#include <algorithm>
#include <array>

#include "common/text.hpp"
#include "common/utf8.hpp"

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

std::optional<std::string> deny_list_problem(const std::vector<std::string>& deny_list) {
  if (deny_list.size() > kDenyListMaxEntries) {
    return "at most " + std::to_string(kDenyListMaxEntries) + " entries";
  }
  for (std::size_t i = 0; i < deny_list.size(); ++i) {
    const auto& entry = deny_list[i];
    const auto place = "entry " + std::to_string(i + 1);
    if (!utf8::is_valid(entry)) return place + " is not UTF-8 text";
    if (entry.find_first_not_of(' ') == std::string::npos) return place + " is empty";
    if (std::any_of(entry.begin(), entry.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return place + " holds a control character";
    }
    if (utf8::code_points(entry) > kDenyListMaxEntryLength) {
      return place + " is longer than " + std::to_string(kDenyListMaxEntryLength) + " characters";
    }
  }
  return std::nullopt;
}

bool is_bot(std::string_view user_agent, const std::vector<std::string>& deny_list) {
  return is_known_crawler(user_agent) || is_denied(user_agent, deny_list);
}

}  // namespace callsight::dni
