#include "store/sql/sql_user_store.hpp"

#include "core/time_format.hpp"
#include "store/sql/sql_change.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {
namespace {

// The read_user order.
const std::string kUserColumns =
    "u.id, u.customer_id, u.email, u.name, u.write_access, u.receive_monthly_report, u.token, "
    "u.created, u.modified";

User read_user(const SqlStatement& row) {
  User u;
  u.id = row.int64(0);
  u.customer_id = row.int64(1);
  u.email = row.text(2);
  u.name = row.text(3);
  u.write_access = row.integer(4);
  u.receive_monthly_report = row.integer(5);
  u.token = row.optional_text(6);
  u.created = row.text(7);
  u.modified = row.text(8);
  return u;
}

}  // namespace

std::optional<User> SqlUserStore::find_user_locked(Id partner_id, Id user_id) {
  auto stmt = db_.prepare("SELECT " + kUserColumns +
                          " FROM users u JOIN customers c ON c.id = u.customer_id"
                          " WHERE u.id = :id AND c.partner_id = :partner_id");
  stmt.bind(":id", user_id).bind(":partner_id", partner_id);
  if (!stmt.step()) return std::nullopt;
  return read_user(stmt);
}

void SqlUserStore::check_email_free(const std::string& email, Id except_user) {
  // The column is COLLATE NOCASE: "Ann@x.se" and "ann@x.se" are the same login.
  auto stmt = db_.prepare("SELECT 1 FROM users WHERE email = :email AND id <> :id");
  stmt.bind(":email", email).bind(":id", except_user);
  if (stmt.step()) throw ConflictError("duplicate", "email", "the email is in use");
}

User SqlUserStore::create_user(Id partner_id, const User& user) {
  SqlTransaction tx(db_, Mode::write);
  require_partners_customer(db_, partner_id, user.customer_id);
  check_email_free(user.email, 0);
  User stored = user;
  stored.created = stored.modified = format_utc(clock_.now());
  stored.id =
      db_.prepare(
             "INSERT INTO users (customer_id, email, name, write_access, "
             "receive_monthly_report, token, created, modified) VALUES (:customer_id, :email, "
             ":name, :write_access, :receive_monthly_report, :token, :created, :created) "
             "RETURNING id")
          .bind(":customer_id", stored.customer_id)
          .bind(":email", stored.email)
          .bind(":name", stored.name)
          .bind(":write_access", stored.write_access)
          .bind(":receive_monthly_report", stored.receive_monthly_report)
          .bind(":token", stored.token)
          .bind(":created", stored.created)
          .returning_id();
  tx.commit();
  return stored;
}

std::optional<User> SqlUserStore::find_user(Id partner_id, Id user_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_user_locked(partner_id, user_id);
}

Page<User> SqlUserStore::list_users(Id partner_id, const UserFilter& filter, PageRequest page) {
  static const std::string where =
      " FROM users u JOIN customers c ON c.id = u.customer_id"
      " WHERE c.partner_id = :partner_id"
      " AND (CAST(:user_id AS BIGINT) IS NULL OR u.id = :user_id)"
      " AND (CAST(:customer_id AS BIGINT) IS NULL OR u.customer_id = :customer_id)";
  const auto bind_filter = [&](SqlStatement& stmt) {
    stmt.bind(":partner_id", partner_id)
        .bind(":user_id", filter.user_id)
        .bind(":customer_id", filter.customer_id);
  };
  SqlTransaction tx(db_, Mode::read);
  return read_page(db_, kUserColumns, where, "u.id", page, bind_filter, read_user);
}

User SqlUserStore::update_user(Id partner_id, const User& user) {
  auto stored = change_user(partner_id, user.id, [&](User& u, auto&) {
    u = user;
    return true;
  });
  if (!stored) throw NotFoundError("user not found");
  return *stored;
}

std::optional<User> SqlUserStore::change_user(Id partner_id, Id user_id,
                                              const Change<User>& change) {
  return apply_change(
      db_, change, [&] { return find_user_locked(partner_id, user_id); },
      [&](const User& before, User& after) {
        if (after.email != before.email) check_email_free(after.email, user_id);
        // customer_id is not written: a user does not move between customers.
        ChangedColumns(db_, "users", user_id)
            .write("email", before.email, after.email)
            .write("name", before.name, after.name)
            .write("write_access", before.write_access, after.write_access)
            .write("receive_monthly_report", before.receive_monthly_report,
                   after.receive_monthly_report)
            .write("token", before.token, after.token)
            .write("modified", before.modified, format_utc(clock_.now()));
      });
}

User SqlUserStore::delete_user(Id partner_id, Id user_id) {
  SqlTransaction tx(db_, Mode::write);
  auto user = find_user_locked(partner_id, user_id);
  if (!user) throw NotFoundError("user not found");
  db_.prepare("DELETE FROM users WHERE id = :id").bind(":id", user_id).run();
  tx.commit();
  return *user;
}

}  // namespace callsight
