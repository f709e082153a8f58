#include "store/sql/sql_store.hpp"

#include <filesystem>

#include "core/random.hpp"
#include "core/time_format.hpp"
#include "store/sql/migrations.hpp"
#include "store/sql/sql_change.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {
namespace {

// Column lists; the read_* functions below take the columns in this order.
const std::string kPartnerColumns =
    "id, name, username, password_hash, digest_ha1_md5, digest_ha1_sha256, country, timezone, "
    "quarantine_days, anum_salt, created";

const std::string kCustomerColumns =
    "c.id, c.partner_id, c.name, c.custnr, c.corporateid, c.email, c.uuid, c.dncs_class_name, " +
    custom_columns("c.") +
    ", c.receive_monthly_report, c.freespee_caller_id, c.whisper, c.created, c.modified";

const std::string kUserColumns =
    "u.id, u.customer_id, u.email, u.name, u.write_access, u.receive_monthly_report, u.token, "
    "u.created, u.modified";

Partner read_partner(const SqlStatement& row) {
  Partner p;
  p.id = row.int64(0);
  p.name = row.text(1);
  p.username = row.text(2);
  p.password_hash = row.text(3);
  p.digest_ha1_md5 = row.text(4);
  p.digest_ha1_sha256 = row.text(5);
  p.country = row.text(6);
  p.timezone = row.text(7);
  p.quarantine_days = row.integer(8);
  p.anum_salt = row.text(9);
  p.created = row.text(10);
  return p;
}

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

std::int64_t count_of(SqlStatement& stmt) {
  stmt.step();
  return stmt.int64(0);
}

}  // namespace

SqlStore::SqlStore(std::unique_ptr<SqlDatabase> database, const Clock& clock)
    : database_(std::move(database)), db_(*database_), clock_(clock) {
  schema_version_ = apply_migrations(db_, clock_.now());
  campaigns_ = std::make_unique<SqlCampaignStore>(db_, clock_);
  greetings_ = std::make_unique<SqlGreetingStore>(db_, clock_);
  blacklists_ = std::make_unique<SqlBlacklistStore>(db_, clock_);
  orders_ = std::make_unique<SqlOrderStore>(db_, clock_);
  callbacks_ = std::make_unique<SqlCallbackStore>(db_, clock_);
  pincodes_ = std::make_unique<SqlPincodeStore>(db_, clock_);
  calls_ = std::make_unique<SqlCallRecordStore>(db_, clock_);
  webhooks_ = std::make_unique<SqlWebhookStore>(db_, clock_);
}

std::string SqlStore::description() const {
  return db_.description() + " (schema version " + std::to_string(schema_version_) + ")";
}

StoreHealth SqlStore::check_health() {
  int version = 0;
  try {
    SqlTransaction tx(db_, Mode::read);
    version = recorded_schema_version(db_);
    tx.commit();
  } catch (const std::exception& e) {
    return {.ready = false, .reason = "database unavailable", .detail = e.what()};
  }
  if (version != latest_schema_version()) {
    const auto reason = "schema version " + std::to_string(version) + ", this binary expects " +
                        std::to_string(latest_schema_version());
    return {.ready = false, .reason = reason, .detail = reason};
  }
  return {};
}

DatabasePoolStats SqlStore::pool_stats() const { return db_.pool_stats(); }

std::string SqlStore::shared_secret(std::string_view name) {
  // The first node to ask makes it; the write transaction keeps two nodes from both doing so.
  SqlTransaction tx(db_, Mode::write);
  auto existing = db_.prepare("SELECT value FROM shared_secrets WHERE name = :name");
  existing.bind(":name", name);
  if (existing.step()) return existing.text(0);
  const auto value = random_hex(32);
  db_.prepare("INSERT INTO shared_secrets (name, value, created) VALUES (:name, :value, :created)")
      .bind(":name", name)
      .bind(":value", value)
      .bind(":created", format_utc(clock_.now()))
      .run();
  tx.commit();
  return value;
}

// ---- partners ----

std::optional<Partner> SqlStore::partner_where(const std::string& sql,
                                               const std::function<void(SqlStatement&)>& bind) {
  std::optional<Partner> partner;
  {
    auto stmt = db_.prepare(sql);
    bind(stmt);
    if (!stmt.step()) return std::nullopt;
    partner = read_partner(stmt);
  }
  auto cidrs =
      db_.prepare("SELECT cidr FROM partner_cidrs WHERE partner_id = :id ORDER BY position");
  cidrs.bind(":id", partner->id);
  while (cidrs.step()) partner->allowed_cidrs.push_back(cidrs.text(0));
  return partner;
}

void SqlStore::write_cidrs(Id partner_id, const std::vector<std::string>& cidrs) {
  db_.prepare("DELETE FROM partner_cidrs WHERE partner_id = :id").bind(":id", partner_id).run();
  for (std::size_t i = 0; i < cidrs.size(); ++i) {
    db_.prepare(
           "INSERT INTO partner_cidrs (partner_id, position, cidr) VALUES (:id, :position, :cidr)")
        .bind(":id", partner_id)
        .bind(":position", static_cast<std::int64_t>(i))
        .bind(":cidr", cidrs[i])
        .run();
  }
}

void SqlStore::check_username_free(const std::string& username, Id except_partner) {
  auto stmt = db_.prepare("SELECT 1 FROM partners WHERE username = :username AND id <> :id");
  stmt.bind(":username", username).bind(":id", except_partner);
  if (stmt.step()) {
    throw ConflictError("duplicate", "username", "the username is taken");
  }
}

Partner SqlStore::create_partner(const Partner& partner) {
  SqlTransaction tx(db_, Mode::write);
  check_username_free(partner.username, 0);
  Partner stored = partner;
  // 16 random bytes: the salt must not be guessable, or anum_md5 gives callers away.
  if (stored.anum_salt.empty()) stored.anum_salt = random_hex(16);
  stored.created = format_utc(clock_.now());
  stored.id =
      db_.prepare(
             "INSERT INTO partners (name, username, password_hash, digest_ha1_md5, "
             "digest_ha1_sha256, country, timezone, quarantine_days, anum_salt, created) "
             "VALUES (:name, :username, :password_hash, :md5, :sha256, :country, :timezone, "
             ":quarantine_days, :anum_salt, :created) RETURNING id")
          .bind(":name", stored.name)
          .bind(":username", stored.username)
          .bind(":password_hash", stored.password_hash)
          .bind(":md5", stored.digest_ha1_md5)
          .bind(":sha256", stored.digest_ha1_sha256)
          .bind(":country", stored.country)
          .bind(":timezone", stored.timezone)
          .bind(":quarantine_days", stored.quarantine_days)
          .bind(":anum_salt", stored.anum_salt)
          .bind(":created", stored.created)
          .returning_id();
  write_cidrs(stored.id, stored.allowed_cidrs);
  tx.commit();
  return stored;
}

std::optional<Partner> SqlStore::find_partner(Id partner_id) {
  SqlTransaction tx(db_, Mode::read);
  return partner_where("SELECT " + kPartnerColumns + " FROM partners WHERE id = :id",
                       [&](SqlStatement& s) { s.bind(":id", partner_id); });
}

std::optional<Partner> SqlStore::find_partner_by_username(std::string_view username) {
  SqlTransaction tx(db_, Mode::read);
  return partner_where("SELECT " + kPartnerColumns + " FROM partners WHERE username = :username",
                       [&](SqlStatement& s) { s.bind(":username", username); });
}

std::vector<Partner> SqlStore::list_partners() {
  SqlTransaction tx(db_, Mode::read);
  std::vector<Id> ids;
  {
    auto stmt = db_.prepare("SELECT id FROM partners ORDER BY id");
    while (stmt.step()) ids.push_back(stmt.int64(0));
  }
  std::vector<Partner> partners;
  for (const Id id : ids) {
    partners.push_back(*partner_where("SELECT " + kPartnerColumns + " FROM partners WHERE id = :id",
                                      [&](SqlStatement& s) { s.bind(":id", id); }));
  }
  return partners;
}

// anum_salt is not written: changing it would change every published anum_md5.
void SqlStore::update_partner(const Partner& partner) {
  SqlTransaction tx(db_, Mode::write);
  {
    auto exists = db_.prepare("SELECT 1 FROM partners WHERE id = :id");
    exists.bind(":id", partner.id);
    if (!exists.step()) throw NotFoundError("partner not found");
  }
  check_username_free(partner.username, partner.id);
  db_.prepare(
         "UPDATE partners SET name = :name, username = :username, password_hash = :password_hash, "
         "digest_ha1_md5 = :md5, digest_ha1_sha256 = :sha256, country = :country, "
         "timezone = :timezone, quarantine_days = :quarantine_days WHERE id = :id")
      .bind(":name", partner.name)
      .bind(":username", partner.username)
      .bind(":password_hash", partner.password_hash)
      .bind(":md5", partner.digest_ha1_md5)
      .bind(":sha256", partner.digest_ha1_sha256)
      .bind(":country", partner.country)
      .bind(":timezone", partner.timezone)
      .bind(":quarantine_days", partner.quarantine_days)
      .bind(":id", partner.id)
      .run();
  write_cidrs(partner.id, partner.allowed_cidrs);
  tx.commit();
}

void SqlStore::remove_partner(Id partner_id) {
  SqlTransaction tx(db_, Mode::write);
  auto customers = db_.prepare("SELECT COUNT(*) FROM customers WHERE partner_id = :id");
  customers.bind(":id", partner_id);
  if (count_of(customers) > 0) {
    throw ConflictError("has_customers", "partner", "the partner still has customers");
  }
  // Numbers restricted to the partner return to the shared pool (ON DELETE SET NULL).
  db_.prepare("DELETE FROM partners WHERE id = :id").bind(":id", partner_id).run();
  if (db_.changes() == 0) throw NotFoundError("partner not found");
  tx.commit();
}

// ---- customers ----

std::optional<Customer> SqlStore::find_customer_locked(Id partner_id, Id customer_id) {
  auto stmt = db_.prepare("SELECT " + kCustomerColumns +
                          " FROM customers c WHERE c.id = :id AND c.partner_id = :partner_id");
  stmt.bind(":id", customer_id).bind(":partner_id", partner_id);
  if (!stmt.step()) return std::nullopt;
  return read_customer(stmt);
}

void SqlStore::check_custnr_free(const Customer& customer) {
  auto stmt = db_.prepare(
      "SELECT 1 FROM customers WHERE partner_id = :partner_id AND custnr = :custnr AND id <> :id");
  stmt.bind(":partner_id", customer.partner_id)
      .bind(":custnr", customer.custnr)
      .bind(":id", customer.id);
  if (stmt.step()) {
    throw ConflictError("duplicate", "custnr", "a customer with this custnr already exists");
  }
}

Customer SqlStore::create_customer(const Customer& customer) {
  SqlTransaction tx(db_, Mode::write);
  Customer stored = customer;
  stored.id = 0;
  check_custnr_free(stored);
  stored.created = stored.modified = format_utc(clock_.now());
  {
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
    bind_customer_fields(stmt, stored);
    stmt.bind(":partner_id", stored.partner_id)
        .bind(":uuid", stored.uuid)
        .bind(":created", stored.created);
    stored.id = stmt.returning_id();
  }
  tx.commit();
  return stored;
}

std::optional<Customer> SqlStore::find_customer(Id partner_id, Id customer_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_customer_locked(partner_id, customer_id);
}

Page<Customer> SqlStore::list_customers(Id partner_id, const CustomerFilter& filter,
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

Customer SqlStore::update_customer(const Customer& customer) {
  auto stored = change_customer(customer.partner_id, customer.id, [&](Customer& c, auto&) {
    c = customer;
    return true;
  });
  if (!stored) throw NotFoundError("customer not found");
  return *stored;
}

std::optional<Customer> SqlStore::change_customer(Id partner_id, Id customer_id,
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

Customer SqlStore::delete_customer(Id partner_id, Id customer_id) {
  SqlTransaction tx(db_, Mode::write);
  auto customer = find_customer_locked(partner_id, customer_id);
  if (!customer) throw NotFoundError("customer not found");
  {
    auto live = db_.prepare(
        "SELECT COUNT(*) FROM sources s JOIN partners p ON p.id = s.partner_id"
        " WHERE s.customer_id = :id AND " +
        source_status_sql() + " <> 'archived'");
    live.bind(":id", customer_id).bind(":now", clock_.now());
    if (count_of(live) > 0) {
      throw ConflictError("has_live_sources", "customer_id",
                          "the customer has sources that are not archived");
    }
  }
  // Archived sources go with the customer; their numbers' holder is cleared by the foreign
  // key (ON DELETE SET NULL) and their rules by cascade.
  for (const char* sql :
       {"DELETE FROM users WHERE customer_id = :id", "DELETE FROM sources WHERE customer_id = :id",
        "DELETE FROM customers WHERE id = :id"}) {
    db_.prepare(sql).bind(":id", customer_id).run();
  }
  tx.commit();
  return *customer;
}

// ---- users ----

std::optional<User> SqlStore::find_user_locked(Id partner_id, Id user_id) {
  auto stmt = db_.prepare("SELECT " + kUserColumns +
                          " FROM users u JOIN customers c ON c.id = u.customer_id"
                          " WHERE u.id = :id AND c.partner_id = :partner_id");
  stmt.bind(":id", user_id).bind(":partner_id", partner_id);
  if (!stmt.step()) return std::nullopt;
  return read_user(stmt);
}

void SqlStore::check_email_free(const std::string& email, Id except_user) {
  // The column is COLLATE NOCASE: "Ann@x.se" and "ann@x.se" are the same login.
  auto stmt = db_.prepare("SELECT 1 FROM users WHERE email = :email AND id <> :id");
  stmt.bind(":email", email).bind(":id", except_user);
  if (stmt.step()) throw ConflictError("duplicate", "email", "the email is in use");
}

User SqlStore::create_user(Id partner_id, const User& user) {
  SqlTransaction tx(db_, Mode::write);
  if (!find_customer_locked(partner_id, user.customer_id)) {
    throw NotFoundError("customer not found");
  }
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

std::optional<User> SqlStore::find_user(Id partner_id, Id user_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_user_locked(partner_id, user_id);
}

Page<User> SqlStore::list_users(Id partner_id, const UserFilter& filter, PageRequest page) {
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

User SqlStore::update_user(Id partner_id, const User& user) {
  auto stored = change_user(partner_id, user.id, [&](User& u, auto&) {
    u = user;
    return true;
  });
  if (!stored) throw NotFoundError("user not found");
  return *stored;
}

std::optional<User> SqlStore::change_user(Id partner_id, Id user_id, const Change<User>& change) {
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

User SqlStore::delete_user(Id partner_id, Id user_id) {
  SqlTransaction tx(db_, Mode::write);
  auto user = find_user_locked(partner_id, user_id);
  if (!user) throw NotFoundError("user not found");
  db_.prepare("DELETE FROM users WHERE id = :id").bind(":id", user_id).run();
  tx.commit();
  return *user;
}

}  // namespace callsight
