#include "store/sql/sql_pincode_store.hpp"

#include "core/time_format.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {

namespace {

const std::string kColumns =
    "p.id, p.customer_id, p.pincode, p.phone_number, p.cdr_id, p.custom_lead_id, "
    "p.custom_lead_data, p.outcome, p.expires, p.created";

Pincode read_pincode(const SqlStatement& row) {
  Pincode p;
  p.id = row.int64(0);
  p.customer_id = row.int64(1);
  p.pincode = row.text(2);
  p.phone_number = row.optional_text(3);
  p.cdr_id = row.optional_int64(4);
  p.custom_lead_id = row.optional_text(5);
  p.custom_lead_data = row.optional_text(6);
  p.outcome = row.optional_text(7);
  p.expires = row.time(8);
  p.created = row.text(9);
  return p;
}

}  // namespace

Pincode SqlPincodeStore::create_pincode(Id partner_id, const Pincode& pincode,
                                        const PincodeDraw& draw) {
  SqlTransaction tx(db_, Mode::write);
  require_partners_customer(db_, partner_id, pincode.customer_id);
  const auto now = clock_.now();
  db_.prepare(
         "UPDATE pincodes SET live_pincode = NULL WHERE customer_id = :customer_id "
         "AND live_pincode IS NOT NULL AND expires <= :now")
      .bind(":customer_id", pincode.customer_id)
      .bind(":now", now)
      .run();
  const auto is_taken = [&](const std::string& candidate) {
    auto stmt = db_.prepare(
        "SELECT 1 FROM pincodes WHERE customer_id = :customer_id AND live_pincode = :pin");
    stmt.bind(":customer_id", pincode.customer_id).bind(":pin", candidate);
    return stmt.step();
  };
  const auto pin = draw_free_pincode(draw, is_taken);
  if (!pin) {
    throw ConflictError("no_free_pincode", "pincode_length",
                        "no free PIN of this length for the customer; try a longer one");
  }
  Pincode stored = pincode;
  stored.pincode = *pin;
  stored.created = format_utc(now);
  stored.id =
      db_.prepare(
             "INSERT INTO pincodes (customer_id, pincode, live_pincode, phone_number, cdr_id, "
             "custom_lead_id, custom_lead_data, outcome, expires, created) VALUES (:customer_id, "
             ":pin, :pin, :phone_number, :cdr_id, :lead_id, :lead_data, :outcome, :expires, "
             ":created) RETURNING id")
          .bind(":customer_id", stored.customer_id)
          .bind(":pin", stored.pincode)
          .bind(":phone_number", stored.phone_number)
          .bind(":cdr_id", stored.cdr_id)
          .bind(":lead_id", stored.custom_lead_id)
          .bind(":lead_data", stored.custom_lead_data)
          .bind(":outcome", stored.outcome)
          .bind(":expires", stored.expires)
          .bind(":created", stored.created)
          .returning_id();
  tx.commit();
  return stored;
}

Page<Pincode> SqlPincodeStore::list_pincodes(Id partner_id, const PincodeFilter& filter,
                                             PageRequest page) {
  static const std::string where =
      " FROM pincodes p JOIN customers c ON c.id = p.customer_id"
      " WHERE c.partner_id = :partner_id"
      " AND (CAST(:pincode_id AS BIGINT) IS NULL OR p.id = :pincode_id)"
      " AND (CAST(:customer_id AS BIGINT) IS NULL OR p.customer_id = :customer_id)"
      " AND (CAST(:cdr_id AS BIGINT) IS NULL OR p.cdr_id = :cdr_id)";
  const auto bind_filter = [&](SqlStatement& stmt) {
    stmt.bind(":partner_id", partner_id)
        .bind(":pincode_id", filter.pincode_id)
        .bind(":customer_id", filter.customer_id)
        .bind(":cdr_id", filter.cdr_id);
  };
  SqlTransaction tx(db_, Mode::read);
  return read_page(db_, kColumns, where, "p.id DESC", page, bind_filter, read_pincode);
}

}  // namespace callsight
