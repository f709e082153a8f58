#include "store/sql/sql_number_store.hpp"

#include "core/time_format.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {
namespace {

InventoryNumber read_number(const SqlStatement& row) {
  InventoryNumber n;
  n.number = row.text(0);
  n.restricted_to_partner = row.optional_int64(1);
  n.added = row.text(2);
  n.state = parse_number_state(row.text(3)).value();
  if (n.state != NumberState::free) {
    n.source_id = row.optional_int64(4);
    n.partner_id = row.optional_int64(5);
  }
  return n;
}

}  // namespace

AddNumbersResult SqlNumberStore::add_numbers(const std::vector<std::string>& numbers,
                                             std::optional<Id> restricted_to_partner) {
  SqlTransaction tx(db_, Mode::write);
  if (restricted_to_partner) {
    auto partner = db_.prepare("SELECT 1 FROM partners WHERE id = :id");
    partner.bind(":id", *restricted_to_partner);
    if (!partner.step()) throw NotFoundError("partner not found");
  }
  const std::string added = format_utc(clock_.now());
  AddNumbersResult result;
  for (const auto& number : numbers) {
    db_.prepare(
           "INSERT INTO numbers (number, restricted_to_partner, added)"
           " VALUES (:number, :partner, :added) ON CONFLICT (number) DO NOTHING")
        .bind(":number", number)
        .bind(":partner", restricted_to_partner)
        .bind(":added", added)
        .run();
    (db_.changes() == 1 ? result.added : result.duplicates).push_back(number);
  }
  tx.commit();
  return result;
}

std::vector<InventoryNumber> SqlNumberStore::list_numbers(std::optional<NumberState> state,
                                                          std::optional<Id> visible_to_partner) {
  // A partner sees what it could be allocated and what its own sources hold.
  static const std::string sql =
      "SELECT * FROM (SELECT n.number, n.restricted_to_partner, n.added, " + number_state_sql() +
      " AS state, s.id AS source_id, s.partner_id AS holder_partner" + numbers_with_holder_sql() +
      ") AS inventory WHERE (CAST(:state AS TEXT) IS NULL OR state = :state)"
      " AND (CAST(:partner AS BIGINT) IS NULL OR ("
      "  (restricted_to_partner IS NULL OR restricted_to_partner = :partner)"
      "  AND (state = 'free' OR holder_partner = :partner)))"
      " ORDER BY number";
  SqlTransaction tx(db_, Mode::read);
  auto stmt = db_.prepare(sql);
  stmt.bind(":now", clock_.now()).bind(":partner", visible_to_partner);
  if (state) {
    stmt.bind(":state", to_string(*state));
  } else {
    stmt.bind(":state", std::nullopt);
  }
  std::vector<InventoryNumber> numbers;
  while (stmt.step()) numbers.push_back(read_number(stmt));
  return numbers;
}

void SqlNumberStore::remove_number(const std::string& number) {
  SqlTransaction tx(db_, Mode::write);
  {
    auto state = db_.prepare("SELECT " + number_state_sql() + numbers_with_holder_sql() +
                             " WHERE n.number = :number");
    state.bind(":number", number).bind(":now", clock_.now());
    if (!state.step()) throw NotFoundError("number " + number + " is not in the inventory");
    if (state.text(0) != "free") {
      throw ConflictError("allocated", "number", "number " + number + " is held by a source");
    }
  }
  db_.prepare("DELETE FROM numbers WHERE number = :number").bind(":number", number).run();
  tx.commit();
}

}  // namespace callsight
