#include "store/sql/sql_partner_store.hpp"

#include "common/random.hpp"
#include "core/time_format.hpp"
#include "store/sql/sql_fragments.hpp"

namespace callsight {
namespace {

// The read_partner order.
const std::string kPartnerColumns =
    "id, name, username, password_hash, digest_ha1_md5, digest_ha1_sha256, country, timezone, "
    "quarantine_days, anum_salt, created, dni_retention_days, dni_number_cap, "
    "dni_denied_user_agents, recording_retention_days";

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
  p.dni_retention_days = row.integer(11);
  p.dni_number_cap = row.integer(12);
  p.dni_denied_user_agents = parse_list(row.text(13));
  p.recording_retention_days = row.integer(14);
  return p;
}

}  // namespace

std::optional<Partner> SqlPartnerStore::partner_where(
    const std::string& sql, const std::function<void(SqlStatement&)>& bind) {
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

void SqlPartnerStore::write_cidrs(Id partner_id, const std::vector<std::string>& cidrs) {
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

void SqlPartnerStore::check_username_free(const std::string& username, Id except_partner) {
  auto stmt = db_.prepare("SELECT 1 FROM partners WHERE username = :username AND id <> :id");
  stmt.bind(":username", username).bind(":id", except_partner);
  if (stmt.step()) {
    throw ConflictError("duplicate", "username", "the username is taken");
  }
}

Partner SqlPartnerStore::create_partner(const Partner& partner) {
  SqlTransaction tx(db_, Mode::write);
  check_username_free(partner.username, 0);
  Partner stored = partner;
  // 16 random bytes: the salt must not be guessable, or anum_md5 gives callers away.
  if (stored.anum_salt.empty()) stored.anum_salt = random_hex(16);
  stored.created = format_utc(clock_.now());
  stored.id =
      db_.prepare(
             "INSERT INTO partners (name, username, password_hash, digest_ha1_md5, "
             "digest_ha1_sha256, country, timezone, quarantine_days, anum_salt, created, "
             "dni_retention_days, dni_number_cap, dni_denied_user_agents, "
             "recording_retention_days) "
             "VALUES (:name, :username, :password_hash, :md5, :sha256, :country, :timezone, "
             ":quarantine_days, :anum_salt, :created, :retention, :cap, :denied, "
             ":recording_retention) RETURNING id")
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
          .bind(":retention", stored.dni_retention_days)
          .bind(":cap", stored.dni_number_cap)
          .bind(":denied", list_json(stored.dni_denied_user_agents))
          .bind(":recording_retention", stored.recording_retention_days)
          .returning_id();
  write_cidrs(stored.id, stored.allowed_cidrs);
  tx.commit();
  return stored;
}

std::optional<Partner> SqlPartnerStore::find_partner(Id partner_id) {
  SqlTransaction tx(db_, Mode::read);
  return partner_where("SELECT " + kPartnerColumns + " FROM partners WHERE id = :id",
                       [&](SqlStatement& s) { s.bind(":id", partner_id); });
}

std::optional<Partner> SqlPartnerStore::find_partner_by_username(std::string_view username) {
  SqlTransaction tx(db_, Mode::read);
  return partner_where("SELECT " + kPartnerColumns + " FROM partners WHERE username = :username",
                       [&](SqlStatement& s) { s.bind(":username", username); });
}

std::vector<Partner> SqlPartnerStore::list_partners() {
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
void SqlPartnerStore::update_partner(const Partner& partner) {
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
         "timezone = :timezone, quarantine_days = :quarantine_days, "
         "dni_retention_days = :retention, dni_number_cap = :cap, "
         "dni_denied_user_agents = :denied, recording_retention_days = :recording_retention "
         "WHERE id = :id")
      .bind(":name", partner.name)
      .bind(":username", partner.username)
      .bind(":password_hash", partner.password_hash)
      .bind(":md5", partner.digest_ha1_md5)
      .bind(":sha256", partner.digest_ha1_sha256)
      .bind(":country", partner.country)
      .bind(":timezone", partner.timezone)
      .bind(":quarantine_days", partner.quarantine_days)
      .bind(":retention", partner.dni_retention_days)
      .bind(":cap", partner.dni_number_cap)
      .bind(":denied", list_json(partner.dni_denied_user_agents))
      .bind(":recording_retention", partner.recording_retention_days)
      .bind(":id", partner.id)
      .run();
  write_cidrs(partner.id, partner.allowed_cidrs);
  tx.commit();
}

void SqlPartnerStore::remove_partner(Id partner_id) {
  SqlTransaction tx(db_, Mode::write);
  auto customers = db_.prepare("SELECT COUNT(*) FROM customers WHERE partner_id = :id");
  customers.bind(":id", partner_id).step();
  if (customers.int64(0) > 0) {
    throw ConflictError("has_customers", "partner", "the partner still has customers");
  }
  // Numbers restricted to the partner return to the shared pool (ON DELETE SET NULL).
  db_.prepare("DELETE FROM partners WHERE id = :id").bind(":id", partner_id).run();
  if (db_.changes() == 0) throw NotFoundError("partner not found");
  tx.commit();
}

}  // namespace callsight
