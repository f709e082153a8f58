#include "store/sql/sql_order_store.hpp"

#include "core/time_format.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {

namespace {

const std::string kColumns =
    "o.id, o.customer_id, c.custnr, o.placed, o.cli_id, o.order_id, o.order_value, o.extras, "
    "o.created";

Order read_order(const SqlStatement& row) {
  Order o;
  o.id = row.int64(0);
  o.customer_id = row.int64(1);
  o.custnr = row.text(2);
  o.timestamp = row.time(3);
  o.cli_id = row.text(4);
  o.order_id = row.text(5);
  o.order_value = row.text(6);
  o.extras = row.optional_text(7);
  o.created = row.text(8);
  return o;
}

}  // namespace

Order SqlOrderStore::create_order(Id partner_id, const Order& order) {
  SqlTransaction tx(db_, Mode::write);
  Order stored = order;
  {
    auto owner =
        db_.prepare("SELECT custnr FROM customers WHERE id = :id AND partner_id = :partner");
    owner.bind(":id", order.customer_id).bind(":partner", partner_id);
    if (!owner.step()) throw NotFoundError("customer not found");
    stored.custnr = owner.text(0);
  }
  {
    auto taken = db_.prepare(
        "SELECT 1 FROM orders WHERE customer_id = :customer_id AND order_id = :order_id");
    taken.bind(":customer_id", order.customer_id).bind(":order_id", order.order_id);
    if (taken.step()) {
      throw ConflictError("duplicate", "order_id", "the customer already has this order_id");
    }
  }
  stored.created = format_utc(clock_.now());
  stored.id =
      db_.prepare(
             "INSERT INTO orders (customer_id, order_id, cli_id, order_value, extras, placed, "
             "created) VALUES (:customer_id, :order_id, :cli_id, :order_value, :extras, :placed, "
             ":created) RETURNING id")
          .bind(":customer_id", stored.customer_id)
          .bind(":order_id", stored.order_id)
          .bind(":cli_id", stored.cli_id)
          .bind(":order_value", stored.order_value)
          .bind(":extras", stored.extras)
          .bind(":placed", stored.timestamp)
          .bind(":created", stored.created)
          .returning_id();
  tx.commit();
  return stored;
}

Page<Order> SqlOrderStore::list_orders(Id partner_id, const OrderFilter& filter, PageRequest page) {
  static const std::string where =
      " FROM orders o JOIN customers c ON c.id = o.customer_id"
      " WHERE c.partner_id = :partner_id"
      " AND (CAST(:customer_id AS BIGINT) IS NULL OR o.customer_id = :customer_id)"
      " AND (CAST(:custnr AS TEXT) IS NULL OR c.custnr = :custnr)"
      " AND (CAST(:order_id AS TEXT) IS NULL OR o.order_id = :order_id)";
  const auto bind_filter = [&](SqlStatement& stmt) {
    stmt.bind(":partner_id", partner_id)
        .bind(":customer_id", filter.customer_id)
        .bind(":custnr", filter.custnr)
        .bind(":order_id", filter.order_id);
  };
  SqlTransaction tx(db_, Mode::read);
  return read_page(db_, kColumns, where, "o.id", page, bind_filter, read_order);
}

}  // namespace callsight
