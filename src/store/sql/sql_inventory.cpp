#include "store/sql/sql_inventory.hpp"

#include "store/sql/sql_fragments.hpp"

namespace callsight {
namespace {

// Narrows free numbers to what a NumberRequest asks for, lowest first.
const std::string kNumberRequestFilter =
    " AND (CAST(:number AS TEXT) IS NULL OR n.number = :number)"
    " AND (CAST(:prefix AS TEXT) IS NULL OR substr(n.number, 1, length(:prefix)) = :prefix)"
    " ORDER BY n.number LIMIT 1";

std::optional<std::string> first_free_number(SqlDatabase& db, const std::string& sql, TimePoint now,
                                             Id partner_id, const NumberRequest& request) {
  auto stmt = db.prepare(sql);
  stmt.bind(":partner_id", partner_id)
      .bind(":now", now)
      .bind(":number", request.tracking_number)
      .bind(":prefix", request.prefix);
  if (!stmt.step()) return std::nullopt;
  return stmt.text(0);
}

std::optional<std::string> pick_free_number(SqlDatabase& db, TimePoint now, Id partner_id,
                                            const NumberRequest& request) {
  // Free: nobody holds it, or its holder is archived (swept or not). The prefix is compared
  // with substr, not LIKE, so '%' or '_' in it match only themselves.
  static const std::string free_numbers =
      "SELECT n.number" + numbers_with_holder_sql() +
      " WHERE (n.restricted_to_partner IS NULL OR n.restricted_to_partner = :partner_id)"
      " AND (s.id IS NULL OR " +
      source_status_sql() + " = 'archived')" + kNumberRequestFilter;
  if (!db.dialect().row_locks) {
    // SQLite: the write transaction holds the whole database; the first match is ours.
    return first_free_number(db, free_numbers, now, partner_id, request);
  }
  // PostgreSQL: lock the candidate's row, passing over rows other claims are holding.
  // The lock's re-check cannot be trusted through the LEFT JOINs (a holder that committed
  // meanwhile shows as "no holder"), so a fresh statement confirms the number is still free
  // now that nobody else can change it; if not, the next candidate is tried.
  const std::string claim = free_numbers + db.dialect().lock_clause("n", true);
  for (;;) {
    auto candidate = first_free_number(db, claim, now, partner_id, request);
    if (!candidate) return std::nullopt;
    NumberRequest exactly;
    exactly.tracking_number = candidate;
    if (first_free_number(db, free_numbers, now, partner_id, exactly)) return candidate;
  }
}

}  // namespace

std::optional<std::string> claim_free_number(SqlDatabase& db, TimePoint now, Id partner_id,
                                             const NumberRequest& request) {
  auto number = pick_free_number(db, now, partner_id, request);
  if (!number) return std::nullopt;
  db.prepare(
        "UPDATE dni_pool_numbers SET released_at = :now"
        " WHERE number = :number AND released_at IS NULL")
      .bind(":now", now)
      .bind(":number", *number)
      .run();
  return number;
}

}  // namespace callsight
