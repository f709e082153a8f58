#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Clients that get the original number without taking one from a pool: crawlers would otherwise
// hold numbers for half an hour each and empty a pool without a single caller.
namespace callsight::dni {

// A user agent from the known-crawler list. Named crawlers (Googlebot, bingbot, Baiduspider,
// YandexBot, DuckDuckBot, Slurp, facebookexternalhit, AhrefsBot, SemrushBot, MJ12bot, Applebot,
// PetalBot) are found anywhere in the text, ignoring ASCII case. Generic tokens are read per
// word (a run of ASCII letters and digits), ignoring case:
//   - a word "bot", "crawler", "spider" or "headless", or one starting with "headless"
//     (HeadlessChrome);
//   - a word ending in "crawler" or "spider";
//   - a word ending in "bot" only where it names the product, that is followed by "/" (a
//     version: "Twitterbot/1.0", "LinkedInBot/1.0"). Device names end in "bot" too (Cubot
//     phones send "CUBOT X19 Build/..."), and they never carry a version.
// An empty user agent counts as a crawler: every browser sends one.
bool is_known_crawler(std::string_view user_agent);

// A user agent containing any of the partner's deny-list entries (ASCII case ignored; empty
// entries match nothing).
bool is_denied(std::string_view user_agent, const std::vector<std::string>& deny_list);

// A partner's deny list is read with the customer on every number request: it stays short.
inline constexpr std::size_t kDenyListMaxEntries = 100;
inline constexpr std::size_t kDenyListMaxEntryLength = 200;  // characters

// Why a deny list cannot be kept, naming the entry by its place from 1 and never quoting it:
// more than kDenyListMaxEntries entries, an entry that is empty or only spaces (it would deny
// nothing and hide a typing mistake), longer than kDenyListMaxEntryLength characters, not
// UTF-8, or holding a control character (no user agent header carries one). nullopt when
// the list is good.
std::optional<std::string> deny_list_problem(const std::vector<std::string>& deny_list);

// Either of the two: such a client is shown the original number.
bool is_bot(std::string_view user_agent, const std::vector<std::string>& deny_list);

}  // namespace callsight::dni
