#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

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

// The derived NumberState name of the inventory row joined with its holder: sources `s` (a
// static source, or the pool that has the number) and partners `p`, and the pool's row `pn`,
// LEFT JOINed by numbers_with_holder_sql(); needs :now like source_status_sql().
const std::string& number_state_sql();

// " FROM numbers n" with the holder joined as number_state_sql() needs it; binds :now.
const std::string& numbers_with_holder_sql();

// Whether the customer exists and is the partner's, read in the caller's transaction without
// locking the row.
bool is_partners_customer(SqlDatabase& db, Id partner_id, Id customer_id);
// The same, throwing NotFoundError("customer not found") when it is not.
void require_partners_customer(SqlDatabase& db, Id partner_id, Id customer_id);

// JSON text read from a column. Bytes that are not UTF-8 (an older version, an import or a
// direct edit of the SQLite file) read as U+FFFD, as in every other stored text: the JSON
// parser refuses them, and one such row must not fail every read that includes it.
nlohmann::json parse_stored_json(const std::string& text);

// A list of texts kept in one column as a JSON array: read and written whole with its row,
// never searched.
std::string list_json(const std::vector<std::string>& items);
std::vector<std::string> parse_list(const std::string& text);

// Rewrites the stored payload of every event of the call (an erasure), in the caller's
// transaction; returns how many it rewrote.
std::size_t rewrite_call_events(SqlDatabase& db, Id cdr_id,
                                const std::function<std::string(const std::string&)>& rewrite);

// " LIMIT <n>" with the row count written out, then " OFFSET :offset" unless it is 0, so
// that PostgreSQL can keep one generic plan of a listing: with LIMIT and OFFSET as
// parameters its generic plan assumes they skip and return 10% of the rows each (all of a
// one-row lookup), costs more than the custom plan, and PostgreSQL re-plans every execution
// (issue 18 item 4, bench/README.md). A listing's page sizes are few; offsets are not.
std::string limit_offset(std::int64_t limit, std::int64_t offset);
// The same for a zero-based page; negative values count as 0.
std::string page_clause(PageRequest page);
// Binds :offset when page_clause named it.
void bind_page(SqlStatement& stmt, PageRequest page);

// The one paged list query, run in the caller's transaction: the page of rows that `from_where`
// (" FROM ... WHERE ...", its parameters bound by `bind_filter`) selects in `order_by` order,
// each row of `columns` made an item by `read_row`, and the number of rows it selects over
// all pages (a COUNT(*) of the same FROM ... WHERE in the same snapshot, unless the page ends
// short).
template <class BindFilter, class ReadRow>
auto read_page(SqlDatabase& db, const std::string& columns, const std::string& from_where,
               std::string_view order_by, PageRequest page, const BindFilter& bind_filter,
               const ReadRow& read_row)
    -> Page<std::invoke_result_t<const ReadRow&, SqlStatement&>> {
  Page<std::invoke_result_t<const ReadRow&, SqlStatement&>> result;
  {
    auto rows = db.prepare("SELECT " + columns + from_where + " ORDER BY " + std::string(order_by) +
                           page_clause(page));
    bind_filter(rows);
    bind_page(rows, page);
    while (rows.step()) result.items.push_back(read_row(rows));
  }
  // A page that ends short holds the last rows: the total needs no count (a one-row lookup by
  // id is such a page).
  const std::int64_t size = std::max(page.pagesize, 0);
  if (!result.items.empty() && static_cast<std::int64_t>(result.items.size()) < size) {
    result.total = std::int64_t{std::max(page.page, 0)} * size +
                   static_cast<std::int64_t>(result.items.size());
    return result;
  }
  auto count = db.prepare("SELECT COUNT(*)" + from_where);
  bind_filter(count);
  count.step();
  result.total = count.int64(0);
  return result;
}

}  // namespace callsight
