#pragma once

#include <array>
#include <string>

#include "core/types.hpp"
#include "store/sql/sql_database.hpp"
#include "store/store.hpp"

// SQL fragments and binding helpers shared by SqlStore's statements. They are built from
// constants only; values are always bound as parameters.
namespace callsight {

// "custom_1, ..., custom_20", each column name preceded by `table_prefix` (e.g. "c.").
std::string custom_columns(const std::string& table_prefix);
// ":custom_1" ... ":custom_20".
const std::array<std::string, kCustomFieldCount>& custom_parameters();
// ":custom_1, ..., :custom_20".
std::string custom_parameter_list();
// "custom_1 = :custom_1, ...".
std::string custom_assignments();

// The derived status ('reserved', ..., 'archived', as to_string(SourceStatus)) of the source
// row `s` at the bound parameter :now (unix seconds); needs partners joined as `p` on
// s.partner_id. Mirrors derive_status in core/source_lifecycle.cpp rule by rule.
const std::string& source_status_sql();

// The derived NumberState name of the inventory row joined with its holder: sources `s` and
// partners `p` LEFT JOINed through n.holder_source_id; needs :now like source_status_sql().
const std::string& number_state_sql();

// Binds :limit and :offset for a zero-based page; negative values count as 0.
void bind_page(SqlStatement& stmt, PageRequest page);

}  // namespace callsight
