#include "store/sql/sql_dni_store.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "common/utf8.hpp"
#include "core/time_format.hpp"
#include "store/sql/sql_change.hpp"
#include "store/sql/sql_fragments.hpp"
#include "store/sql/sql_inventory.hpp"
#include "store/sql/sql_source_store.hpp"

namespace callsight {
namespace {

// A stored name the code no longer knows is a damaged row, not a rule to guess at.
template <class Enum>
Enum stored(std::optional<Enum> value) {
  if (!value) throw StoreError("unknown stored dni name");
  return *value;
}

std::string rules_json(const std::vector<dni::MatchRule>& rules) {
  auto list = nlohmann::json::array();
  for (const auto& rule : rules) {
    list.push_back({{"kind", dni::rule_kind_name(rule.kind)},
                    {"utm_field", dni::utm_field_name(rule.utm_field)},
                    {"value", rule.value}});
  }
  return to_json_text(list);
}

std::vector<dni::MatchRule> parse_rules(const std::string& text) {
  std::vector<dni::MatchRule> rules;
  for (const auto& item : parse_stored_json(text)) {
    rules.push_back(
        {.kind = stored(dni::rule_kind_named(item.at("kind").get<std::string>())),
         .utm_field = stored(dni::utm_field_named(item.at("utm_field").get<std::string>())),
         .value = item.at("value").get<std::string>()});
  }
  return rules;
}

const std::string kSettingsColumns =
    "d.is_default, d.match_rules, d.lease_seconds, d.grace_seconds, d.cooldown_seconds,"
    " d.fallback_number, d.numbers_to_replace, d.allowed_origins";

// kSettingsColumns from column `first` on.
DniPoolSettings read_settings(const SqlStatement& row, int first = 0) {
  DniPoolSettings s;
  s.is_default = row.integer(first) != 0;
  s.match_rules = parse_rules(row.text(first + 1));
  s.timing.lease = std::chrono::seconds(row.int64(first + 2));
  s.timing.grace = std::chrono::seconds(row.int64(first + 3));
  s.timing.cooldown = std::chrono::seconds(row.int64(first + 4));
  s.fallback_number = row.text(first + 5);
  s.numbers_to_replace = parse_list(row.text(first + 6));
  s.allowed_origins = parse_list(row.text(first + 7));
  return s;
}

DniPoolNumber read_pool_number(const SqlStatement& row) {
  return {.id = row.int64(0),
          .number = row.text(1),
          .added_at = row.time(2),
          .removed_at = row.optional_time(3),
          .quarantined_until = row.optional_time(4)};
}

const std::string kPoolNumberColumns = "id, number, added_at, removed_at, quarantined_until";

}  // namespace

DniPool SqlDniStore::create_pool(const Source& source, const DniPoolSettings& settings,
                                 const NumberRequest& numbers, int count,
                                 const std::function<void(ChangeLookups&)>& check_references) {
  // concurrent_write: the numbers are claimed as add_pool_numbers claims them.
  SqlTransaction tx(db_, Mode::concurrent_write);
  require_partners_customer(db_, source.partner_id, source.customer_id);
  if (check_references) {
    SqlChangeLookups lookups(db_);
    check_references(lookups);
  }
  const std::string created = format_utc(clock_.now());
  const Id id = insert_source_row(db_, source, "", "dynamic", created);
  db_.prepare(
         "INSERT INTO dni_pools (source_id, is_default, match_rules, lease_seconds,"
         " grace_seconds, cooldown_seconds, fallback_number, numbers_to_replace,"
         " allowed_origins, created, modified) VALUES (:id, :is_default, :match_rules, :lease,"
         " :grace, :cooldown, :fallback, :replace, :origins, :created, :created)")
      .bind(":id", id)
      .bind(":is_default", settings.is_default ? 1 : 0)
      .bind(":match_rules", rules_json(settings.match_rules))
      .bind(":lease", static_cast<std::int64_t>(settings.timing.lease.count()))
      .bind(":grace", static_cast<std::int64_t>(settings.timing.grace.count()))
      .bind(":cooldown", static_cast<std::int64_t>(settings.timing.cooldown.count()))
      .bind(":fallback", settings.fallback_number)
      .bind(":replace", list_json(settings.numbers_to_replace))
      .bind(":origins", list_json(settings.allowed_origins))
      .bind(":created", created)
      .run();
  if (settings.is_default) make_only_default(source.customer_id, id);
  take_free_numbers(source.partner_id, id, numbers, count);
  auto pool = find_pool_locked(source.partner_id, id);
  announce_created_source(db_, pool->source, clock_.now());
  tx.commit();
  return *pool;
}

std::optional<DniPoolSettings> SqlDniStore::settings_of(Id partner_id, Id pool_id) {
  auto row = db_.prepare("SELECT " + kSettingsColumns +
                         " FROM dni_pools d JOIN sources s ON s.id = d.source_id"
                         " WHERE d.source_id = :id AND s.partner_id = :partner_id");
  row.bind(":id", pool_id).bind(":partner_id", partner_id);
  if (!row.step()) return std::nullopt;
  return read_settings(row);
}

void SqlDniStore::require_pool(Id partner_id, Id pool_id) {
  auto row = db_.prepare(
      "SELECT 1 FROM dni_pools d JOIN sources s ON s.id = d.source_id"
      " WHERE d.source_id = :id AND s.partner_id = :partner_id");
  row.bind(":id", pool_id).bind(":partner_id", partner_id);
  if (!row.step()) throw NotFoundError("pool not found");
}

std::vector<DniPoolNumber> SqlDniStore::numbers_of(Id pool_id) {
  auto rows = db_.prepare("SELECT " + kPoolNumberColumns +
                          " FROM dni_pool_numbers WHERE pool_source_id = :id"
                          " AND released_at IS NULL"
                          " AND (quarantined_until IS NULL OR quarantined_until > :now)"
                          " ORDER BY number");
  rows.bind(":id", pool_id).bind(":now", clock_.now());
  std::vector<DniPoolNumber> numbers;
  while (rows.step()) numbers.push_back(read_pool_number(rows));
  return numbers;
}

std::optional<DniPool> SqlDniStore::find_pool_locked(Id partner_id, Id pool_id) {
  auto settings = settings_of(partner_id, pool_id);
  if (!settings) return std::nullopt;
  DniPool pool{.source = *find_source_row(db_, partner_id, pool_id),
               .settings = std::move(*settings),
               .numbers = numbers_of(pool_id)};
  return pool;
}

std::optional<DniPool> SqlDniStore::find_pool(Id partner_id, Id pool_id) {
  SqlTransaction tx(db_, Mode::read);
  return find_pool_locked(partner_id, pool_id);
}

std::vector<DniPool> SqlDniStore::list_pools(Id partner_id, Id customer_id) {
  SqlTransaction tx(db_, Mode::read);
  require_partners_customer(db_, partner_id, customer_id);
  std::vector<Id> ids;
  {
    auto rows = db_.prepare(
        "SELECT d.source_id FROM dni_pools d JOIN sources s ON s.id = d.source_id"
        " WHERE s.customer_id = :customer_id ORDER BY d.source_id");
    rows.bind(":customer_id", customer_id);
    while (rows.step()) ids.push_back(rows.int64(0));
  }
  std::vector<DniPool> pools;
  for (const Id id : ids) pools.push_back(*find_pool_locked(partner_id, id));
  return pools;
}

std::optional<DniSite> SqlDniStore::find_site(const std::string& customer_uuid) {
  SqlTransaction tx(db_, Mode::read);
  auto row = db_.prepare(
      "SELECT c.partner_id, c.id, p.country, p.dni_denied_user_agents FROM customers c"
      " JOIN partners p ON p.id = c.partner_id WHERE c.uuid = :uuid");
  row.bind(":uuid", customer_uuid);
  if (!row.step()) return std::nullopt;
  DniSite site{.partner_id = row.int64(0),
               .customer_id = row.int64(1),
               .country = row.text(2),
               .denied_user_agents = parse_list(row.text(3))};
  row.run();
  auto pools = db_.prepare("SELECT d.source_id, " + kSettingsColumns +
                           " FROM dni_pools d JOIN sources s ON s.id = d.source_id"
                           " WHERE s.customer_id = :customer_id ORDER BY d.source_id");
  pools.bind(":customer_id", site.customer_id);
  while (pools.step()) {
    site.pools.push_back({.id = pools.int64(0), .settings = read_settings(pools, 1)});
  }
  return site;
}

std::optional<DniPool> SqlDniStore::change_pool(Id partner_id, Id pool_id,
                                                const Change<DniPool>& change) {
  return apply_change(
      db_, change, [&] { return find_pool_locked(partner_id, pool_id); },
      [&](const DniPool& before, const DniPool& after) {
        write_source_changes(db_, before.source, after.source, clock_.now());
        write_settings_changes(pool_id, before.settings, after.settings);
        if (after.settings.is_default && !before.settings.is_default) {
          make_only_default(after.source.customer_id, pool_id);
        }
      });
}

// A customer has one default pool: the pool made default takes over from the one before.
void SqlDniStore::make_only_default(Id customer_id, Id pool_id) {
  db_.prepare(
         "UPDATE dni_pools SET is_default = 0, modified = :modified WHERE is_default = 1"
         " AND source_id <> :pool AND source_id IN"
         " (SELECT id FROM sources WHERE customer_id = :customer_id)")
      .bind(":modified", format_utc(clock_.now()))
      .bind(":pool", pool_id)
      .bind(":customer_id", customer_id)
      .run();
}

void SqlDniStore::write_settings_changes(Id pool_id, const DniPoolSettings& before,
                                         const DniPoolSettings& after) {
  const auto seconds = [](std::chrono::seconds s) { return static_cast<std::int64_t>(s.count()); };
  ChangedColumns(db_, "dni_pools", pool_id, "source_id")
      .write("is_default", before.is_default ? 1 : 0, after.is_default ? 1 : 0)
      .write("match_rules", rules_json(before.match_rules), rules_json(after.match_rules))
      .write("lease_seconds", seconds(before.timing.lease), seconds(after.timing.lease))
      .write("grace_seconds", seconds(before.timing.grace), seconds(after.timing.grace))
      .write("cooldown_seconds", seconds(before.timing.cooldown), seconds(after.timing.cooldown))
      .write("fallback_number", before.fallback_number, after.fallback_number)
      .write("numbers_to_replace", list_json(before.numbers_to_replace),
             list_json(after.numbers_to_replace))
      .write("allowed_origins", list_json(before.allowed_origins), list_json(after.allowed_origins))
      .write("modified", std::string(), format_utc(clock_.now()));
  if (before.timing != after.timing) {
    // Every stored free_at may now be late: 0 is a lower bound again, and the allocation
    // corrects each number as it reaches the front (sql_dni_visits.cpp).
    db_.prepare("UPDATE dni_pool_numbers SET free_at = 0 WHERE pool_source_id = :pool")
        .bind(":pool", pool_id)
        .run();
  }
}

std::vector<DniPoolNumber> SqlDniStore::add_pool_numbers(Id partner_id, Id pool_id,
                                                         const NumberRequest& request, int count) {
  // concurrent_write: claim_free_number locks each number's row on PostgreSQL, as a source's
  // create does, so pools and sources grow side by side without taking one number twice.
  SqlTransaction tx(db_, Mode::concurrent_write);
  require_pool(partner_id, pool_id);
  auto added = take_free_numbers(partner_id, pool_id, request, count);
  tx.commit();
  return added;
}

std::vector<DniPoolNumber> SqlDniStore::take_free_numbers(Id partner_id, Id pool_id,
                                                          const NumberRequest& request, int count) {
  std::vector<DniPoolNumber> added;
  for (int i = 0; i < count; ++i) {
    const auto number = claim_free_number(db_, clock_.now(), partner_id, request);
    if (!number) {
      throw ConflictError("no_free_number", "number", "not enough free numbers match");
    }
    added.push_back(add_pool_number(pool_id, *number));
  }
  return added;
}

DniPoolNumber SqlDniStore::add_pool_number(Id pool_id, const std::string& number) {
  // A static source that held the number is archived (else it was not free): the pool is
  // the holder now, and numbers_with_holder_sql reads the static holder first.
  db_.prepare("UPDATE numbers SET holder_source_id = NULL WHERE number = :number")
      .bind(":number", number)
      .run();
  auto row = db_.prepare(
      "INSERT INTO dni_pool_numbers (pool_source_id, number, added_at) VALUES (:pool, :number,"
      " :now) RETURNING " +
      kPoolNumberColumns);
  row.bind(":pool", pool_id).bind(":number", number).bind(":now", clock_.now());
  row.step();
  auto added = read_pool_number(row);
  row.run();
  return added;
}

DniPoolNumber SqlDniStore::remove_pool_number(Id partner_id, Id pool_id,
                                              const std::string& number) {
  SqlTransaction tx(db_, Mode::write);
  require_pool(partner_id, pool_id);
  // The same quarantine a deleted source's number gets: the partner's quarantine days.
  auto row = db_.prepare(
      "UPDATE dni_pool_numbers SET removed_at = :now, quarantined_until = :now +"
      " (SELECT quarantine_days FROM partners WHERE id = :partner_id) * 86400"
      " WHERE pool_source_id = :pool AND number = :number AND released_at IS NULL"
      " AND removed_at IS NULL RETURNING " +
      kPoolNumberColumns);
  row.bind(":now", clock_.now())
      .bind(":partner_id", partner_id)
      .bind(":pool", pool_id)
      .bind(":number", number);
  if (!row.step()) throw NotFoundError("number not in the pool");
  auto removed = read_pool_number(row);
  row.run();
  tx.commit();
  return removed;
}

}  // namespace callsight
