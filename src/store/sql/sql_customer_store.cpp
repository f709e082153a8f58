#include "store/sql/sql_customer_store.hpp"

#include <utility>

#include "core/time_format.hpp"
#include "store/sql/sql_call_record_store.hpp"
#include "store/sql/sql_change.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {
namespace {

// The read_customer order.
const std::string kCustomerColumns =
    "c.id, c.partner_id, c.name, c.custnr, c.corporateid, c.email, c.uuid, c.dncs_class_name, " +
    custom_columns("c.") +
    ", c.receive_monthly_report, c.freespee_caller_id, c.whisper, c.created, c.modified";

Customer read_customer(const SqlStatement& row) {
  Customer c;
  c.id = row.int64(0);
  c.partner_id = row.int64(1);
  c.name = row.text(2);
  c.custnr = row.text(3);
  c.corporateid = row.text(4);
  c.email = row.text(5);
  c.uuid = row.text(6);
  c.dncs_class_name = row.text(7);
  constexpr int kFirstCustom = 8;
  for (int i = 0; i < kCustomFieldCount; ++i) c.custom[i] = row.optional_text(kFirstCustom + i);
  constexpr int kAfterCustom = kFirstCustom + kCustomFieldCount;
  c.receive_monthly_report = row.integer(kAfterCustom);
  c.freespee_caller_id = row.integer(kAfterCustom + 1);
  c.whisper = row.integer(kAfterCustom + 2);
  c.created = row.text(kAfterCustom + 3);
  c.modified = row.text(kAfterCustom + 4);
  return c;
}

// Fields a partner may change after creation (not id, partner_id, uuid, created).
void bind_customer_fields(SqlStatement& stmt, const Customer& c) {
  stmt.bind(":name", c.name)
      .bind(":custnr", c.custnr)
      .bind(":corporateid", c.corporateid)
      .bind(":email", c.email)
      .bind(":dncs_class_name", c.dncs_class_name)
      .bind(":receive_monthly_report", c.receive_monthly_report)
      .bind(":freespee_caller_id", c.freespee_caller_id)
      .bind(":whisper", c.whisper);
  for (int i = 0; i < kCustomFieldCount; ++i) {
    stmt.bind(custom_parameters()[i].c_str(), c.custom[i]);
  }
}

}  // namespace

std::optional<Customer> SqlCustomerStore::find_customer_locked(Id partner_id, Id customer_id) {
  auto stmt = db_.prepare("SELECT " + kCustomerColumns +
                          " FROM customers c WHERE c.id = :id AND c.partner_id = :partner_id");
  stmt.bind(":id", customer_id).bind(":partner_id", partner_id);
  if (!stmt.step()) return std::nullopt;
  return read_customer(stmt);
}

void SqlCustomerStore::check_custnr_free(const Customer& customer) {
  auto stmt = db_.prepare(
      "SELECT 1 FROM customers WHERE partner_id = :partner_id AND custnr = :custnr AND id <> :id");
  stmt.bind(":partner_id", customer.partner_id)
      .bind(":custnr", customer.custnr)
      .bind(":id", customer.id);
  if (stmt.step()) {
    throw ConflictError("duplicate", "custnr", "a customer with this custnr already exists");
  }
}

void SqlCustomerStore::insert_customer(Customer& customer) {
  check_custnr_free(customer);
  customer.created = customer.modified = format_utc(clock_.now());
  static const std::string sql =
      "INSERT INTO customers (partner_id, name, custnr, corporateid, email, uuid, "
      "dncs_class_name, " +
      custom_columns("") +
      ", receive_monthly_report, freespee_caller_id, whisper, created, modified) VALUES "
      "(:partner_id, :name, :custnr, :corporateid, :email, :uuid, :dncs_class_name, " +
      custom_parameter_list() +
      ", :receive_monthly_report, :freespee_caller_id, :whisper, :created, :created) "
      "RETURNING id";
  auto stmt = db_.prepare(sql);
  bind_customer_fields(stmt, customer);
  stmt.bind(":partner_id", customer.partner_id)
      .bind(":uuid", customer.uuid)
      .bind(":created", customer.created);
  customer.id = stmt.returning_id();
}

Customer SqlCustomerStore::create_customer(const Customer& customer) {
  Customer stored = customer;
  stored.id = 0;
  db_.write_transaction(Mode::write, [&] { insert_customer(stored); });
  return stored;
}

void SqlCustomerStore::create_customer_then(const Customer& customer, Later<Customer> created) {
  write_transaction_then<Customer>(
      db_, Mode::write,
      [this, customer] {
        Customer stored = customer;
        stored.id = 0;
        insert_customer(stored);
        return stored;
      },
      std::move(created));
}

std::optional<Customer> SqlCustomerStore::find_customer(Id partner_id, Id customer_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_customer_locked(partner_id, customer_id);
}

Page<Customer> SqlCustomerStore::list_customers(Id partner_id, const CustomerFilter& filter,
                                                PageRequest page) {
  static const std::string where =
      " FROM customers c WHERE c.partner_id = :partner_id"
      " AND (CAST(:customer_id AS BIGINT) IS NULL OR c.id = :customer_id)"
      " AND (CAST(:custnr AS TEXT) IS NULL OR c.custnr = :custnr)";
  const auto bind_filter = [&](SqlStatement& stmt) {
    stmt.bind(":partner_id", partner_id)
        .bind(":customer_id", filter.customer_id)
        .bind(":custnr", filter.custnr);
  };
  SqlTransaction tx(db_, Mode::read);
  return read_page(db_, kCustomerColumns, where, "c.id", page, bind_filter, read_customer);
}

Customer SqlCustomerStore::update_customer(const Customer& customer) {
  auto stored = change_customer(customer.partner_id, customer.id, [&](Customer& c, auto&) {
    c = customer;
    return true;
  });
  if (!stored) throw NotFoundError("customer not found");
  return *stored;
}

std::optional<Customer> SqlCustomerStore::change_customer(Id partner_id, Id customer_id,
                                                          const Change<Customer>& change) {
  return apply_change(
      db_, change, [&] { return find_customer_locked(partner_id, customer_id); },
      [&](const Customer& before, Customer& after) {
        after.partner_id = partner_id;
        after.id = customer_id;
        if (after.custnr != before.custnr) check_custnr_free(after);
        ChangedColumns columns(db_, "customers", customer_id);
        columns.write("name", before.name, after.name)
            .write("custnr", before.custnr, after.custnr)
            .write("corporateid", before.corporateid, after.corporateid)
            .write("email", before.email, after.email)
            .write("dncs_class_name", before.dncs_class_name, after.dncs_class_name)
            .write("receive_monthly_report", before.receive_monthly_report,
                   after.receive_monthly_report)
            .write("freespee_caller_id", before.freespee_caller_id, after.freespee_caller_id)
            .write("whisper", before.whisper, after.whisper)
            .write("modified", before.modified, format_utc(clock_.now()));
        for (int i = 0; i < kCustomFieldCount; ++i) {
          columns.write(custom_parameters()[i].substr(1), before.custom[i], after.custom[i]);
        }
      });
}

Customer SqlCustomerStore::delete_customer(Id partner_id, Id customer_id) {
  SqlTransaction tx(db_, Mode::write);
  auto customer = find_customer_locked(partner_id, customer_id);
  if (!customer) throw NotFoundError("customer not found");
  {
    auto live = db_.prepare(
        "SELECT COUNT(*) FROM sources s JOIN partners p ON p.id = s.partner_id"
        " WHERE s.customer_id = :id AND " +
        source_status_sql() + " <> 'archived'");
    live.bind(":id", customer_id).bind(":now", clock_.now()).step();
    if (live.int64(0) > 0) {
      throw ConflictError("has_live_sources", "customer_id",
                          "the customer has sources that are not archived");
    }
  }
  // Archived sources go with the customer; their numbers' holder is cleared by the foreign
  // key (ON DELETE SET NULL) and their rules by cascade. Its call records go by cascade too,
  // out of the partner's counts first.
  count_customers_cdrs_removed(db_, partner_id, customer_id);
  for (const char* sql :
       {"DELETE FROM users WHERE customer_id = :id", "DELETE FROM sources WHERE customer_id = :id",
        "DELETE FROM customers WHERE id = :id"}) {
    db_.prepare(sql).bind(":id", customer_id).run();
  }
  tx.commit();
  return *customer;
}

}  // namespace callsight
