#include "store/sql/sql_change.hpp"

namespace callsight {

bool SqlChangeLookups::has_customer(Id partner_id, Id customer_id) {
  auto stmt = db_.prepare("SELECT 1 FROM customers WHERE id = :id AND partner_id = :partner_id");
  stmt.bind(":id", customer_id).bind(":partner_id", partner_id);
  return stmt.step();
}

bool SqlChangeLookups::has_campaign(Id partner_id, Id customer_id, Id campaign_id) {
  auto stmt = db_.prepare(
      "SELECT 1 FROM campaigns k JOIN customers c ON c.id = k.customer_id"
      " WHERE k.id = :id AND k.customer_id = :customer_id AND c.partner_id = :partner_id");
  stmt.bind(":id", campaign_id).bind(":customer_id", customer_id).bind(":partner_id", partner_id);
  return stmt.step();
}

bool SqlChangeLookups::has_greeting(Id partner_id, Id customer_id, Id greeting_id) {
  if (!has_customer(partner_id, customer_id)) return false;
  auto stmt = db_.prepare(
      "SELECT 1 FROM voicemail_greetings WHERE id = :id"
      " AND (customer_id IS NULL OR customer_id = :customer_id)");
  stmt.bind(":id", greeting_id).bind(":customer_id", customer_id);
  return stmt.step();
}

}  // namespace callsight
