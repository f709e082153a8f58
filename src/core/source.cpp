#include "core/source.hpp"

#include <array>
#include <utility>

#include "core/enum_names.hpp"

namespace callsight {
namespace {

constexpr std::array<std::pair<SourceStatus, std::string_view>, 5> kStatusNames = {{
    {SourceStatus::reserved, "reserved"},
    {SourceStatus::upcoming, "upcoming"},
    {SourceStatus::active, "active"},
    {SourceStatus::quarantined, "quarantined"},
    {SourceStatus::archived, "archived"},
}};

constexpr std::array<std::pair<NumberState, std::string_view>, 3> kNumberStateNames = {{
    {NumberState::free, "free"},
    {NumberState::allocated, "allocated"},
    {NumberState::quarantined, "quarantined"},
}};

}  // namespace

std::string_view to_string(SourceStatus status) { return name_of(kStatusNames, status); }
std::optional<SourceStatus> parse_source_status(std::string_view text) {
  return value_of(kStatusNames, text);
}
std::string_view to_string(NumberState state) { return name_of(kNumberStateNames, state); }
std::optional<NumberState> parse_number_state(std::string_view text) {
  return value_of(kNumberStateNames, text);
}

}  // namespace callsight
