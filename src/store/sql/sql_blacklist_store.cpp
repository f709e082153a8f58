#include "store/sql/sql_blacklist_store.hpp"

#include "store/sql/sql_fragments.hpp"

namespace callsight {

std::vector<std::string> SqlBlacklistStore::numbers_of(Id customer_id) {
  auto rows = db_.prepare(
      "SELECT number FROM blacklist_numbers WHERE customer_id = :customer_id ORDER BY position");
  rows.bind(":customer_id", customer_id);
  std::vector<std::string> numbers;
  while (rows.step()) numbers.push_back(rows.text(0));
  return numbers;
}

std::vector<std::string> SqlBlacklistStore::blacklist(Id partner_id, Id customer_id) {
  SqlTransaction tx(db_, Mode::read);
  require_partners_customer(db_, partner_id, customer_id);
  return numbers_of(customer_id);
}

std::vector<std::string> SqlBlacklistStore::replace_blacklist(
    Id partner_id, Id customer_id, const std::vector<std::string>& numbers) {
  SqlTransaction tx(db_, Mode::write);
  require_partners_customer(db_, partner_id, customer_id);
  db_.prepare("DELETE FROM blacklist_numbers WHERE customer_id = :customer_id")
      .bind(":customer_id", customer_id)
      .run();
  int position = 0;
  for (const auto& number : numbers) {
    db_.prepare(
           "INSERT INTO blacklist_numbers (customer_id, number, position)"
           " VALUES (:customer_id, :number, :position) ON CONFLICT DO NOTHING")
        .bind(":customer_id", customer_id)
        .bind(":number", number)
        .bind(":position", position++)
        .run();
  }
  auto stored = numbers_of(customer_id);
  tx.commit();
  return stored;
}

bool SqlBlacklistStore::is_blacklisted(Id customer_id, const std::string& caller_number) {
  SqlTransaction tx(db_, Mode::read);
  auto stmt = db_.prepare(
      "SELECT 1 FROM blacklist_numbers WHERE customer_id = :customer_id AND number = :number");
  stmt.bind(":customer_id", customer_id).bind(":number", caller_number);
  return stmt.step();
}

}  // namespace callsight
