#include "store/sql/sql_source_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "core/time_format.hpp"
#include "core/webhook_payload.hpp"
#include "store/sql/sql_campaign_store.hpp"
#include "store/sql/sql_change.hpp"
#include "store/sql/sql_fragments.hpp"
#include "store/sql/sql_inventory.hpp"
#include "store/sql/sql_outbox.hpp"

namespace callsight {
namespace {

// A source's columns, its alternative-number rules among them as one text column, so a
// source comes with its rules in one statement (one round trip on PostgreSQL): per rule
// "position,id,weekdays,from_minute,to_minute,answering_number", ';' between rules, in no
// promised order (SQLite's group_concat promises none; read_alt_numbers sorts them).
std::string source_columns(const SqlDialect& dialect) {
  return "s.id, s.partner_id, s.customer_id, s.name, s.media, s.email, s.smsnumber, "
         "s.answering_number, s.tracking_number, s.source_class, s.campaign_id, s.publisher_id, "
         "s.vm_greeting_id, s.notify_on_missed_call, s.notify_on_new_voicemail, s.vm_divert_all, "
         "s.vm_divert_busy, s.vm_divert_noanswer, s.activation, s.expire, s.expires_at, "
         "s.reserved_until, s.deleted_at, s.archived_at, s.created, s.modified, (SELECT " +
         dialect.text_aggregate +
         "(a.position || ',' || a.id || ',' || a.weekdays || ',' || a.from_minute || ',' ||"
         " a.to_minute || ',' || a.answering_number, ';') FROM source_alt_numbers a"
         " WHERE a.source_id = s.id)";
}

std::int64_t alt_number_field(std::string_view field) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size()) {
    throw std::runtime_error("a stored alternative number rule is malformed");
  }
  return value;
}

// The rules of source_columns' last column, in their positions' order.
std::vector<AltNumberRule> read_alt_numbers(std::string_view joined) {
  std::vector<std::pair<std::int64_t, AltNumberRule>> positioned;
  while (!joined.empty()) {
    const auto rule_end = std::min(joined.find(';'), joined.size());
    std::string_view rest = joined.substr(0, rule_end);
    joined.remove_prefix(std::min(rule_end + 1, joined.size()));
    std::array<std::int64_t, 5> numbers{};
    for (auto& number : numbers) {
      const auto comma = rest.find(',');
      if (comma == std::string_view::npos) {
        throw std::runtime_error("a stored alternative number rule is malformed");
      }
      number = alt_number_field(rest.substr(0, comma));
      rest.remove_prefix(comma + 1);
    }
    AltNumberRule rule;
    rule.alt_key = std::to_string(numbers[1]);
    rule.weekdays = static_cast<WeekdaySet>(numbers[2]);
    rule.from_minute = static_cast<int>(numbers[3]);
    rule.to_minute = static_cast<int>(numbers[4]);
    rule.answering_number = std::string(rest);
    positioned.emplace_back(numbers[0], std::move(rule));
  }
  std::sort(positioned.begin(), positioned.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<AltNumberRule> rules;
  rules.reserve(positioned.size());
  for (auto& [position, rule] : positioned) rules.push_back(std::move(rule));
  return rules;
}

Source read_source(const SqlStatement& row) {
  Source s;
  s.id = row.int64(0);
  s.partner_id = row.int64(1);
  s.customer_id = row.int64(2);
  s.name = row.text(3);
  s.media = row.text(4);
  s.email = row.optional_text(5);
  s.smsnumber = row.optional_text(6);
  s.answering_number = row.text(7);
  s.tracking_number = row.text(8);
  s.source_class = row.integer(9);
  s.campaign_id = row.optional_int64(10);
  s.publisher_id = row.optional_int64(11);
  s.vm_greeting_id = row.optional_int64(12);
  s.notify_on_missed_call = row.integer(13);
  s.notify_on_new_voicemail = row.integer(14);
  s.vm_divert_all = row.integer(15);
  s.vm_divert_busy = row.integer(16);
  s.vm_divert_noanswer = row.integer(17);
  s.lifecycle.activation = row.time(18);
  s.lifecycle.expire = row.optional_time(19);
  s.lifecycle.expires_at = row.optional_time(20);
  s.lifecycle.reserved_until = row.optional_time(21);
  s.lifecycle.deleted_at = row.optional_time(22);
  s.lifecycle.archived_at = row.optional_time(23);
  s.created = row.text(24);
  s.modified = row.text(25);
  s.alt_numbers = read_alt_numbers(row.optional_text(26).value_or(""));
  return s;
}

// The fields a new source is created with, beside its owner and tracking number.
void bind_mutable_source_fields(SqlStatement& stmt, const Source& s) {
  const auto& life = s.lifecycle;
  stmt.bind(":name", s.name)
      .bind(":media", s.media)
      .bind(":email", s.email)
      .bind(":smsnumber", s.smsnumber)
      .bind(":answering_number", s.answering_number)
      .bind(":source_class", s.source_class)
      .bind(":campaign_id", s.campaign_id)
      .bind(":publisher_id", s.publisher_id)
      .bind(":vm_greeting_id", s.vm_greeting_id)
      .bind(":notify_on_missed_call", s.notify_on_missed_call)
      .bind(":notify_on_new_voicemail", s.notify_on_new_voicemail)
      .bind(":vm_divert_all", s.vm_divert_all)
      .bind(":vm_divert_busy", s.vm_divert_busy)
      .bind(":vm_divert_noanswer", s.vm_divert_noanswer)
      .bind(":activation", life.activation)
      .bind(":expire", life.expire)
      .bind(":expires_at", life.expires_at)
      .bind(":reserved_until", life.reserved_until)
      .bind(":deleted_at", life.deleted_at)
      .bind(":archived_at", life.archived_at);
}

}  // namespace

void write_alt_numbers(SqlDatabase& db, Id source_id, const std::vector<AltNumberRule>& rules,
                       const std::vector<AltNumberRule>& existing) {
  // A rule keeps its alt_key only if it is one of this source's current keys; any other
  // key (unknown, another source's, repeated) is replaced by a fresh one.
  std::set<std::string> reusable;
  for (const auto& rule : existing) reusable.insert(rule.alt_key);
  db.prepare("DELETE FROM source_alt_numbers WHERE source_id = :id").bind(":id", source_id).run();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    std::optional<std::int64_t> key;
    if (reusable.erase(rule.alt_key) == 1) key = std::stoll(rule.alt_key);
    // A new rule's id (its alt_key) comes from the table's own sequence.
    auto insert = key ? db.prepare(
                            "INSERT INTO source_alt_numbers (id, source_id, position, "
                            "answering_number, weekdays, from_minute, to_minute) VALUES (:key, "
                            ":source_id, :position, :answering_number, :weekdays, :from_minute, "
                            ":to_minute)")
                      : db.prepare(
                            "INSERT INTO source_alt_numbers (source_id, position, "
                            "answering_number, weekdays, from_minute, to_minute) VALUES "
                            "(:source_id, :position, :answering_number, :weekdays, :from_minute, "
                            ":to_minute)");
    if (key) insert.bind(":key", *key);
    insert.bind(":source_id", source_id)
        .bind(":position", static_cast<std::int64_t>(i))
        .bind(":answering_number", rule.answering_number)
        .bind(":weekdays", static_cast<int>(rule.weekdays))
        .bind(":from_minute", rule.from_minute)
        .bind(":to_minute", rule.to_minute)
        .run();
  }
}

namespace {

// The partner's source `source_id` that also meets `condition` (SQL on `s`), if any.
std::string find_source_sql(const SqlDialect& dialect, const std::string& condition) {
  return "SELECT " + source_columns(dialect) +
         " FROM sources s WHERE s.id = :id AND s.partner_id = :partner_id" + condition;
}

// The partner's source `source_id` that find_source_sql's statement `sql` selects, if any.
std::optional<Source> find_source_by(SqlDatabase& db, const std::string& sql, Id partner_id,
                                     Id source_id) {
  std::optional<Source> source;
  {
    auto stmt = db.prepare(sql);
    stmt.bind(":id", source_id).bind(":partner_id", partner_id);
    if (!stmt.step()) return std::nullopt;
    source = read_source(stmt);
  }
  return source;
}

// A source another node (or the admin CLI) changed is read again within this (issue 18: every
// node sees a change within 1 s); one this node changed, at once.
constexpr auto kRecentSourceLifetime = std::chrono::milliseconds(500);
constexpr std::size_t kRecentSources = 10000;

// What /sources reaches: a pool is a source too, but only /pools (the dni store) shows or
// changes it, so its id is unknown here, as another partner's is.
const std::string kStaticOnly = " AND s.number_kind = 'static'";

std::optional<Source> find_static_source_row(SqlDatabase& db, Id partner_id, Id source_id) {
  return find_source_by(db, find_source_sql(db.dialect(), kStaticOnly), partner_id, source_id);
}

}  // namespace

std::optional<Source> find_source_row(SqlDatabase& db, Id partner_id, Id source_id) {
  return find_source_by(db, find_source_sql(db.dialect(), ""), partner_id, source_id);
}

SqlSourceStore::SqlSourceStore(SqlDatabase& db, const Clock& clock)
    : SqlSubStore(db, clock),
      columns_(source_columns(db.dialect())),
      find_static_sql_(find_source_sql(db.dialect(), kStaticOnly)),
      recent_sources_(kRecentSources, kRecentSourceLifetime) {}

Id insert_source_row(SqlDatabase& db, const Source& source, const std::string& tracking_number,
                     std::string_view number_kind, const std::string& created) {
  static const std::string sql =
      "INSERT INTO sources (partner_id, customer_id, name, media, email, smsnumber,"
      " answering_number, tracking_number, source_class, campaign_id, publisher_id,"
      " vm_greeting_id, notify_on_missed_call, notify_on_new_voicemail, vm_divert_all,"
      " vm_divert_busy, vm_divert_noanswer, activation, expire, expires_at, reserved_until,"
      " deleted_at, archived_at, created, modified, number_kind) VALUES (:partner_id,"
      " :customer_id, :name, :media, :email, :smsnumber, :answering_number, :tracking_number,"
      " :source_class, :campaign_id, :publisher_id, :vm_greeting_id, :notify_on_missed_call,"
      " :notify_on_new_voicemail, :vm_divert_all, :vm_divert_busy, :vm_divert_noanswer,"
      " :activation, :expire, :expires_at, :reserved_until, :deleted_at, :archived_at,"
      " :created, :created, :number_kind) RETURNING id";
  auto stmt = db.prepare(sql);
  bind_mutable_source_fields(stmt, source);
  stmt.bind(":partner_id", source.partner_id)
      .bind(":customer_id", source.customer_id)
      .bind(":tracking_number", tracking_number)
      .bind(":created", created)
      .bind(":number_kind", number_kind);
  const Id id = stmt.returning_id();
  write_alt_numbers(db, id, source.alt_numbers, {});
  return id;
}

Source SqlSourceStore::create_source(const Source& source, const NumberRequest& number,
                                     const std::function<void(ChangeLookups&)>& check_references) {
  // SQLite: the free-number check and the claim happen under the write lock. PostgreSQL:
  // claim_free_number locks the number's row, so creates run side by side.
  SqlTransaction tx(db_, Mode::concurrent_write);
  require_partners_customer(db_, source.partner_id, source.customer_id);
  if (check_references) {
    SqlChangeLookups lookups(db_);
    check_references(lookups);
  }
  const auto tracking_number = claim_free_number(db_, clock_.now(), source.partner_id, number);
  if (!tracking_number) {
    throw ConflictError("no_free_number", "destnr", "no free tracking number matches");
  }
  const Id id =
      insert_source_row(db_, source, *tracking_number, "static", format_utc(clock_.now()));
  db_.prepare("UPDATE numbers SET holder_source_id = :id WHERE number = :number")
      .bind(":id", id)
      .bind(":number", *tracking_number)
      .run();
  auto stored = find_source_row(db_, source.partner_id, id);
  announce_created_source(db_, *stored, clock_.now());
  tx.commit();
  return *stored;
}

void write_source_event(SqlDatabase& db, const Source& source, std::string_view type,
                        SourceStatus status, TimePoint now) {
  OutboxEvent event;
  event.partner_id = source.partner_id;
  event.customer_id = source.customer_id;
  event.type = std::string(type);
  event.source_id = source.id;
  event.payload = source_event_payload(source, status);
  event.created = now;
  write_outbox_event(db, std::move(event));
}

SourceStatus source_status(SqlDatabase& db, Id source_id, TimePoint now) {
  auto stmt = db.prepare("SELECT " + source_status_sql() +
                         " FROM sources s JOIN partners p ON p.id = s.partner_id"
                         " WHERE s.id = :id");
  stmt.bind(":id", source_id).bind(":now", now);
  stmt.step();
  return parse_source_status(stmt.text(0)).value();
}

void announce_created_source(SqlDatabase& db, const Source& source, TimePoint now) {
  const auto status = source_status(db, source.id, now);
  write_source_event(db, source, kSourceCreated, status, now);
  db.prepare("UPDATE sources SET announced_status = :status WHERE id = :id")
      .bind(":status", to_string(status))
      .bind(":id", source.id)
      .run();
}

std::optional<Source> SqlSourceStore::find_source(Id partner_id, Id source_id) {
  const std::pair key{partner_id, source_id};
  const auto generation = db_.write_generation();  // before the read: see RecentRows
  const auto now = std::chrono::steady_clock::now();
  if (const auto recent = recent_sources_.find(key, generation, now)) return *recent;
  std::optional<Source> source;
  {
    SqlTransaction tx(db_, Mode::read_statement);  // the source and its rules: one statement
    source = find_source_by(db_, find_static_sql_, partner_id, source_id);
  }
  if (source) recent_sources_.put(key, std::make_shared<const Source>(*source), generation, now);
  return source;
}

Page<Source> SqlSourceStore::list_sources(Id partner_id, const SourceFilter& filter,
                                          PageRequest page) {
  // Only the filters given are in the statement, one statement per combination: a catch-all
  // "(:x IS NULL OR column = :x)" made PostgreSQL plan every execution afresh (its generic
  // plan of such a query is poor), half of a source read's database CPU (bench/README.md).
  std::string where =
      " FROM sources s JOIN partners p ON p.id = s.partner_id"
      " JOIN customers c ON c.id = s.customer_id"
      " WHERE s.partner_id = :partner_id" +
      kStaticOnly;
  if (filter.source_id) where += " AND s.id = :source_id";
  if (filter.customer_id) where += " AND s.customer_id = :customer_id";
  if (filter.custnr) where += " AND c.custnr = :custnr";
  if (filter.tracking_number) where += " AND s.tracking_number = :tracking_number";
  if (filter.campaign_id) where += " AND s.campaign_id = :campaign_id";
  if (filter.source_class) where += " AND s.source_class = :source_class";
  if (filter.status) where += " AND " + source_status_sql() + " = :status";
  const auto now = clock_.now();
  const auto bind_filter = [&](SqlStatement& stmt) {
    stmt.bind(":partner_id", partner_id);
    if (filter.source_id) stmt.bind(":source_id", *filter.source_id);
    if (filter.customer_id) stmt.bind(":customer_id", *filter.customer_id);
    if (filter.custnr) stmt.bind(":custnr", *filter.custnr);
    if (filter.tracking_number) stmt.bind(":tracking_number", *filter.tracking_number);
    if (filter.campaign_id) stmt.bind(":campaign_id", *filter.campaign_id);
    if (filter.source_class) stmt.bind(":source_class", *filter.source_class);
    if (filter.status) stmt.bind(":now", now).bind(":status", to_string(*filter.status));
  };
  SqlTransaction tx(db_, Mode::read);
  return read_page(db_, columns_, where, "s.id", page, bind_filter, read_source);
}

std::optional<NumberHolder> SqlSourceStore::find_source_holding(
    const std::string& tracking_number) {
  // numbers_with_holder_sql is the one place that says who holds a number: the static source
  // of numbers.holder_source_id, else the pool whose row for the number is unreleased and out
  // of quarantine. A holder whose derived status is archived has let it go even before the
  // sweep clears it.
  static const std::string sql =
      "SELECT s.id, s.partner_id, s.number_kind, CASE WHEN n.holder_source_id IS NULL"
      " AND pn.removed_at IS NOT NULL THEN 1 ELSE 0 END" +
      numbers_with_holder_sql() + " WHERE n.number = :number AND s.id IS NOT NULL AND " +
      source_status_sql() + " <> 'archived'";
  SqlTransaction tx(db_, Mode::read);
  NumberHolder holder{.number = tracking_number};
  Id source_id = 0;
  Id partner_id = 0;
  {
    auto stmt = db_.prepare(sql);
    stmt.bind(":number", tracking_number).bind(":now", clock_.now());
    if (!stmt.step()) return std::nullopt;
    source_id = stmt.int64(0);
    partner_id = stmt.int64(1);
    holder.in_pool = stmt.text(2) == "dynamic";
    holder.removed_from_pool = stmt.integer(3) != 0;
  }
  holder.source = *find_source_row(db_, partner_id, source_id);
  return holder;
}

RoutingTable SqlSourceStore::routing_table() {
  // find_source_holding's rule for every number at once.
  static const std::string sql =
      "SELECT n.number, s.id, s.partner_id, s.number_kind, CASE WHEN n.holder_source_id IS NULL"
      " AND pn.removed_at IS NOT NULL THEN 1 ELSE 0 END, p.quarantine_days, p.timezone,"
      " p.country, c.freespee_caller_id, c.whisper" +
      numbers_with_holder_sql() + " JOIN customers c ON c.id = s.customer_id" +
      " WHERE s.id IS NOT NULL AND " + source_status_sql() + " <> 'archived' ORDER BY n.number";
  SqlTransaction tx(db_, Mode::read);
  RoutingTable table;
  std::vector<std::pair<Id, Id>> holders;  // partner, source of each number
  {
    auto stmt = db_.prepare(sql);
    stmt.bind(":now", clock_.now());
    while (stmt.step()) {
      RoutableNumber routable{.holder = {.number = stmt.text(0),
                                         .in_pool = stmt.text(3) == "dynamic",
                                         .removed_from_pool = stmt.integer(4) != 0},
                              .quarantine_days = static_cast<int>(stmt.int64(5)),
                              .time_zone = stmt.text(6),
                              .country = stmt.text(7),
                              .show_tracking_number = stmt.integer(8) != 0,
                              .whisper = stmt.integer(9) != 0};
      holders.emplace_back(stmt.int64(2), stmt.int64(1));
      table.numbers.push_back(std::move(routable));
    }
  }
  // A pool holds many numbers: each source and campaign is read once.
  std::map<Id, Source> sources;
  std::map<Id, std::optional<Campaign>> campaigns;
  std::set<Id> customers;
  for (std::size_t i = 0; i < table.numbers.size(); ++i) {
    const auto [partner_id, source_id] = holders[i];
    auto found = sources.find(source_id);
    if (found == sources.end()) {
      found = sources.emplace(source_id, *find_source_row(db_, partner_id, source_id)).first;
    }
    auto& routable = table.numbers[i];
    routable.holder.source = found->second;
    customers.insert(routable.holder.source.customer_id);
    if (const auto campaign_id = routable.holder.source.campaign_id) {
      auto campaign = campaigns.find(*campaign_id);
      if (campaign == campaigns.end()) {
        campaign = campaigns.emplace(*campaign_id, find_campaign_row(db_, *campaign_id)).first;
      }
      routable.campaign = campaign->second;
    }
  }
  auto blacklisted =
      db_.prepare("SELECT customer_id, number FROM blacklist_numbers ORDER BY customer_id, number");
  while (blacklisted.step()) {
    const Id customer_id = blacklisted.int64(0);
    if (customers.contains(customer_id)) {
      table.blacklisted.push_back({customer_id, blacklisted.text(1)});
    }
  }
  return table;
}

bool SqlSourceStore::holds_its_number(Id source_id) {
  auto stmt = db_.prepare("SELECT 1 FROM numbers WHERE holder_source_id = :id");
  stmt.bind(":id", source_id);
  return stmt.step();
}

Source SqlSourceStore::update_source(const Source& source) {
  auto stored = change_source(source.partner_id, source.id, [&](Source& s, auto&) {
    s = source;
    return true;
  });
  if (!stored) throw NotFoundError("source not found");
  return *stored;
}

std::optional<Source> SqlSourceStore::change_source(Id partner_id, Id source_id,
                                                    const Change<Source>& change) {
  return apply_change(
      db_, change, [&] { return find_static_source_row(db_, partner_id, source_id); },
      [&](const Source& before, const Source& after) {
        write_source_changes(db_, before, after, clock_.now());
        // Once archived, the number may have gone to another source (or out of the
        // inventory): a lifecycle change must not bring the source back to life without it.
        if (source_status(db_, source_id, clock_.now()) != SourceStatus::archived &&
            !holds_its_number(source_id)) {
          throw ConflictError("archived", "source_id",
                              "the source is archived and its tracking number was released");
        }
      });
}

void write_source_changes(SqlDatabase& db, const Source& before, const Source& after,
                          TimePoint now) {
  const auto& was = before.lifecycle;
  const auto& is = after.lifecycle;
  ChangedColumns(db, "sources", before.id)
      .write("name", before.name, after.name)
      .write("media", before.media, after.media)
      .write("email", before.email, after.email)
      .write("smsnumber", before.smsnumber, after.smsnumber)
      .write("answering_number", before.answering_number, after.answering_number)
      .write("source_class", before.source_class, after.source_class)
      .write("campaign_id", before.campaign_id, after.campaign_id)
      .write("publisher_id", before.publisher_id, after.publisher_id)
      .write("vm_greeting_id", before.vm_greeting_id, after.vm_greeting_id)
      .write("notify_on_missed_call", before.notify_on_missed_call, after.notify_on_missed_call)
      .write("notify_on_new_voicemail", before.notify_on_new_voicemail,
             after.notify_on_new_voicemail)
      .write("vm_divert_all", before.vm_divert_all, after.vm_divert_all)
      .write("vm_divert_busy", before.vm_divert_busy, after.vm_divert_busy)
      .write("vm_divert_noanswer", before.vm_divert_noanswer, after.vm_divert_noanswer)
      .write("activation", was.activation, is.activation)
      .write("expire", was.expire, is.expire)
      .write("expires_at", was.expires_at, is.expires_at)
      .write("reserved_until", was.reserved_until, is.reserved_until)
      .write("deleted_at", was.deleted_at, is.deleted_at)
      .write("archived_at", was.archived_at, is.archived_at)
      .write("modified", before.modified, format_utc(now));
  if (after.alt_numbers != before.alt_numbers) {
    write_alt_numbers(db, before.id, after.alt_numbers, before.alt_numbers);
  }
}

int SqlSourceStore::sweep_sources(const RowFailureHandler& on_failure) {
  int archived = 0;
  for (const Id source_id : sources_to_sweep()) {
    try {
      if (sweep_source(source_id)) ++archived;
    } catch (const std::exception& e) {
      if (!on_failure) throw;
      on_failure(source_id, e);
    }
  }
  return archived;
}

// Status is derived from the time, so most changes happen without a write; the sweep
// compares each source's status now with the one last announced. Also due: sources whose
// derived status is archived but whose number has not been released.
std::vector<Id> SqlSourceStore::sources_to_sweep() {
  static const std::string sql =
      "SELECT s.id FROM sources s JOIN partners p ON p.id = s.partner_id"
      " WHERE s.announced_status IS NULL OR s.announced_status <> " +
      source_status_sql() + " OR (s.archived_at IS NULL AND " + source_status_sql() +
      " = 'archived') ORDER BY s.id";
  SqlTransaction tx(db_, Mode::read);
  std::vector<Id> due;
  auto rows = db_.prepare(sql);
  rows.bind(":now", clock_.now());
  while (rows.step()) due.push_back(rows.int64(0));
  return due;
}

// One source: read, rule and write in one transaction, checked again under the write lock
// because another node's sweep may have done it since the list was made. True when archived.
bool SqlSourceStore::sweep_source(Id source_id) {
  static const std::string sql = "SELECT s.partner_id, s.announced_status, " + source_status_sql() +
                                 ", s.archived_at FROM sources s"
                                 " JOIN partners p ON p.id = s.partner_id WHERE s.id = :id";
  SqlTransaction tx(db_, Mode::write);
  const auto now = clock_.now();
  Id partner_id = 0;
  std::optional<std::string> announced;
  SourceStatus status = SourceStatus::active;
  bool archived_before = false;
  {
    auto row = db_.prepare(sql);
    row.bind(":id", source_id).bind(":now", now);
    if (!row.step()) return false;  // deleted with its partner meanwhile
    partner_id = row.int64(0);
    announced = row.optional_text(1);
    status = parse_source_status(row.text(2)).value();
    archived_before = !row.is_null(3);
    row.run();
  }
  if (announced != to_string(status)) {
    if (announced) {
      write_source_event(db_, *find_source_row(db_, partner_id, source_id), kSourceStatusChanged,
                         status, clock_.now());
    }
    db_.prepare("UPDATE sources SET announced_status = :status WHERE id = :id")
        .bind(":status", to_string(status))
        .bind(":id", source_id)
        .run();
  }
  const bool archive = status == SourceStatus::archived && !archived_before;
  if (archive) {
    db_.prepare("UPDATE numbers SET holder_source_id = NULL WHERE holder_source_id = :id")
        .bind(":id", source_id)
        .run();
    db_.prepare("UPDATE sources SET archived_at = :now WHERE id = :id")
        .bind(":now", now)
        .bind(":id", source_id)
        .run();
  }
  tx.commit();
  return archive;
}

}  // namespace callsight
