#include "store/sql/sql_fragments.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"

namespace callsight {
namespace {

template <class Each>
std::string join_custom(Each each) {
  std::string out;
  for (int i = 1; i <= kCustomFieldCount; ++i) {
    if (i > 1) out += ", ";
    out += each(std::to_string(i));
  }
  return out;
}

std::string replace_all(std::string text, std::string_view what, std::string_view with) {
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
  return text;
}

}  // namespace

std::string custom_columns(const std::string& table_prefix) {
  return join_custom([&](const std::string& n) { return table_prefix + "custom_" + n; });
}

const std::array<std::string, kCustomFieldCount>& custom_parameters() {
  static const auto names = [] {
    std::array<std::string, kCustomFieldCount> out;
    for (int i = 0; i < kCustomFieldCount; ++i) out[i] = ":custom_" + std::to_string(i + 1);
    return out;
  }();
  return names;
}

std::string custom_parameter_list() {
  return join_custom([](const std::string& n) { return ":custom_" + n; });
}

std::string custom_assignments() {
  return join_custom([](const std::string& n) { return "custom_" + n + " = :custom_" + n; });
}

const std::string& source_status_sql() {
  // quarantine_start = min(deleted_at, expires_at) over the ones that are set, spelt with
  // CASE because the dialects disagree on a two-argument minimum (MIN vs LEAST).
  constexpr std::string_view kQuarantineStart =
      "(CASE WHEN s.deleted_at IS NULL THEN s.expires_at WHEN s.expires_at IS NULL"
      " THEN s.deleted_at WHEN s.deleted_at < s.expires_at THEN s.deleted_at"
      " ELSE s.expires_at END)";
  // The rules in derive_status's order; a NULL comparison is false, so an unset instant
  // never matches.
  static const std::string sql = replace_all(R"sql((CASE
  WHEN s.archived_at IS NOT NULL THEN 'archived'
  WHEN QUARANTINE_START <= :now THEN
    CASE WHEN :now >= QUARANTINE_START + p.quarantine_days * 86400
    THEN 'archived' ELSE 'quarantined' END
  WHEN s.reserved_until IS NOT NULL THEN
    CASE WHEN :now >= s.reserved_until THEN 'archived' ELSE 'reserved' END
  WHEN s.activation > :now THEN 'upcoming'
  ELSE 'active' END))sql",
                                             "QUARANTINE_START", kQuarantineStart);
  return sql;
}

const std::string& number_state_sql() {
  // A number removed from a pool is quarantined by its own row, whatever its pool's status.
  static const std::string sql =
      "(CASE WHEN s.id IS NULL THEN 'free' WHEN pn.removed_at IS NOT NULL THEN 'quarantined'"
      " ELSE CASE " +
      source_status_sql() +
      " WHEN 'archived' THEN 'free' WHEN 'quarantined' THEN 'quarantined'"
      " ELSE 'allocated' END END)";
  return sql;
}

const std::string& numbers_with_holder_sql() {
  // A pool's row counts while it is not released and its quarantine, if any, runs: at most
  // one such row per number (dni_pool_numbers_held). Adding a number to a pool clears
  // holder_source_id, so the holder is the static source or else the pool.
  static const std::string sql =
      " FROM numbers n LEFT JOIN dni_pool_numbers pn ON pn.number = n.number"
      " AND pn.released_at IS NULL"
      " AND (pn.quarantined_until IS NULL OR pn.quarantined_until > :now)"
      " LEFT JOIN sources s ON s.id = COALESCE(n.holder_source_id, pn.pool_source_id)"
      " LEFT JOIN partners p ON p.id = s.partner_id";
  return sql;
}

bool is_partners_customer(SqlDatabase& db, Id partner_id, Id customer_id) {
  auto stmt = db.prepare("SELECT 1 FROM customers WHERE id = :id AND partner_id = :partner_id");
  stmt.bind(":id", customer_id).bind(":partner_id", partner_id);
  return stmt.step();
}

void require_partners_customer(SqlDatabase& db, Id partner_id, Id customer_id) {
  if (!is_partners_customer(db, partner_id, customer_id)) throw NotFoundError("customer not found");
}

std::string list_json(const std::vector<std::string>& items) {
  return to_json_text(nlohmann::json(items));
}

nlohmann::json parse_stored_json(const std::string& text) {
  return nlohmann::json::parse(utf8::sanitize(text));
}

std::vector<std::string> parse_list(const std::string& text) {
  return parse_stored_json(text).get<std::vector<std::string>>();
}

std::string limit_offset(std::int64_t limit, std::int64_t offset) {
  std::string clause = " LIMIT " + std::to_string(std::max<std::int64_t>(limit, 0));
  if (offset > 0) clause += " OFFSET :offset";
  return clause;
}

namespace {
std::int64_t page_offset(PageRequest page) {
  return std::int64_t{std::max(page.page, 0)} * std::max(page.pagesize, 0);
}
}  // namespace

std::string page_clause(PageRequest page) { return limit_offset(page.pagesize, page_offset(page)); }

void bind_page(SqlStatement& stmt, PageRequest page) {
  if (const auto offset = page_offset(page); offset > 0) stmt.bind(":offset", offset);
}

std::size_t rewrite_call_events(SqlDatabase& db, Id cdr_id,
                                const std::function<std::string(const std::string&)>& rewrite) {
  std::vector<std::pair<Id, std::string>> events;
  {
    auto rows = db.prepare("SELECT id, payload FROM webhook_events WHERE cdr_id = :cdr");
    rows.bind(":cdr", cdr_id);
    while (rows.step()) events.emplace_back(rows.int64(0), rows.text(1));
  }
  for (const auto& [event_id, payload] : events) {
    db.prepare("UPDATE webhook_events SET payload = :payload WHERE id = :id")
        .bind(":payload", rewrite(payload))
        .bind(":id", event_id)
        .run();
  }
  return events.size();
}

}  // namespace callsight
