#include "store/sql/sql_change.hpp"

// Each lookup also locks what it found against deletion (FOR KEY SHARE) where the backend
// has row locks, for the transactions that run beside other writers (create_source).

namespace callsight {

bool SqlChangeLookups::has_customer(Id partner_id, Id customer_id) {
  auto stmt =
      db_.prepare("SELECT 1 FROM customers c WHERE c.id = :id AND c.partner_id = :partner_id" +
                  db_.dialect().key_share_clause("c"));
  stmt.bind(":id", customer_id).bind(":partner_id", partner_id);
  return stmt.step();
}

bool SqlChangeLookups::has_campaign(Id partner_id, Id customer_id, Id campaign_id) {
  auto stmt = db_.prepare(
      "SELECT 1 FROM campaigns k JOIN customers c ON c.id = k.customer_id"
      " WHERE k.id = :id AND k.customer_id = :customer_id AND c.partner_id = :partner_id" +
      db_.dialect().key_share_clause("k"));
  stmt.bind(":id", campaign_id).bind(":customer_id", customer_id).bind(":partner_id", partner_id);
  return stmt.step();
}

bool SqlChangeLookups::has_greeting(Id partner_id, Id customer_id, Id greeting_id) {
  if (!has_customer(partner_id, customer_id)) return false;
  auto stmt = db_.prepare(
      "SELECT 1 FROM voicemail_greetings g WHERE g.id = :id"
      " AND (g.customer_id IS NULL OR g.customer_id = :customer_id)" +
      db_.dialect().key_share_clause("g"));
  stmt.bind(":id", greeting_id).bind(":customer_id", customer_id);
  return stmt.step();
}

}  // namespace callsight
